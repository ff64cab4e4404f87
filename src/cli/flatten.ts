// Flattens nested parameters into API 3.0's dotted names: {A: ['x'], F: [{N: 1}]} -> {'A.0': 'x', 'F.0.N': '1'}.

export function flattenParams(value: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, name: string) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${name}.${i}`);
    } else if (typeof v === 'object')
      for (const [k, child] of Object.entries(v)) walk(child, name ? `${name}.${k}` : k);
    else out[name] = String(v);
  };
  walk(value, prefix);
  return out;
}
