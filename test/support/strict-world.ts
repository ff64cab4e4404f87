// A test world in strict validation mode whose checks go to the test's own DNS and web servers on loopback (https to
// a closed port unless given), so every validation outcome comes from real DNS answers and HTTP exchanges.

import type { ConfigInput } from '../../src/config.js';
import type { DnsServer } from './dns-server.js';
import { closedPort, type WebServer } from './web-server.js';
import { startWorld, type World } from './world.js';

export interface StrictWorldOptions {
  dns: DnsServer;
  web: WebServer;
  /** where https checks go; a closed port by default */
  httpsPort?: number;
  allowPrivateAddresses?: boolean;
  /** one check's time limit, ms (500 by default) */
  timeoutMs?: number;
  worker: ConfigInput['worker'];
}

export async function strictWorld(o: StrictWorldOptions): Promise<World> {
  return startWorld({
    validation: 'strict',
    dcv: {
      dnsServers: [o.dns.address],
      httpPort: o.web.port,
      httpsPort: o.httpsPort ?? (await closedPort()),
      allowPrivateAddresses: o.allowPrivateAddresses ?? true,
      timeoutMs: o.timeoutMs ?? 500,
      maxBytes: 65536,
    },
    worker: o.worker,
  });
}
