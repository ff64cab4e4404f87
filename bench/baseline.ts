// The ceiling: a bare node:http server that reads each request and answers one fixed JSON body of a given size, run
// as its own process (`node --import tsx bench/baseline.ts --port N --bytes N`). Prints `listening` when ready.

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, bytes: { type: 'string', default: '600' } } });
const bytes = Number(values.bytes);
const shell = '{"Response":{"RequestId":"00000000-0000-4000-8000-000000000000","Padding":""}}';
const body = Buffer.from(shell.replace('"Padding":""', `"Padding":"${'x'.repeat(Math.max(0, bytes - shell.length))}"`));

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
});
server.listen(Number(values.port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
