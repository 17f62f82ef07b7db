// The functions and packages a V8 CPU profile (node --cpu-prof) spent most of its self time in.
// Run: npx tsx bench/cpu-profile-top.ts FILE.cpuprofile [COUNT]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const [file, countText] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-top.ts FILE.cpuprofile [COUNT]');
const count = Number(countText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
// Percentages are of the busy time: an idle daemon between benchmark steps would otherwise dwarf everything.
let total = 0;
const add = (map: Map<string, number>, key: string, micros: number) => map.set(key, (map.get(key) ?? 0) + micros);
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  const frame = nodes.get(id)!.callFrame;
  if (frame.functionName === '(idle)') return;
  const url = frame.url.replace(/^file:\/\//, '');
  const where = url.replace(/.*node_modules\//, '').replace(/.*\/(dist|src|services)\//, '$1/');
  total += micros;
  add(byFunction, `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`, micros);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  add(byPackage, pkg ?? (url === '' ? frame.functionName : where.replace(/\/[^/]*$/, '/')), micros);
});
const show = (title: string, map: Map<string, number>) => {
  console.log(title);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(6)}%  ${key}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s busy`);
show('self time by function', byFunction);
show('self time by package or folder', byPackage);
