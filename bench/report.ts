import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, hostname, loadavg, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';
import type { BenchReport, Figure, MachineInfo, ScenarioResult } from './types';

/** The machine the run is on: CPU, cores, memory, Node and Chromium versions. */
export function machineInfo(chromiumPath = '/usr/bin/chromium'): MachineInfo {
  let chromium: string | null;
  try {
    chromium = execFileSync(chromiumPath, ['--version'], {
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    chromium = null;
  }
  return {
    hostname: hostname(),
    platform: `${platform()} ${release()}`,
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    chromium,
    load_average_at_start: Math.round(loadavg()[0]! * 100) / 100,
  };
}

const num = (v: number): string => {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
};

function figureRow(s: ScenarioResult, f: Figure): string {
  const spread = f.runs > 1 ? `${num(f.min)}–${num(f.max)}` : '(1 run)';
  const floor = f.floor ? `${num(f.floor.median)} ${f.floor.unit} (${f.floor.label})` : '';
  const ratio = f.ratio !== undefined ? `${num(f.ratio)}×` : '';
  return `| ${s.number} | ${f.label} | ${num(f.median)} ${f.unit} | ${spread} | ${f.runs} | ${floor} | ${ratio} |`;
}

/**
 * The report as Markdown: one table of figures (median, spread, floor, ratio), then the targets
 * (met or not) and the skipped scenarios with their reasons. Printed by the CLI and pasted into
 * CONTEXT.md.
 */
export function formatReport(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `Patchbay bench — ${r.started_at.slice(0, 10)} — ${m.cpu_model}, ${m.cores} cores, ${m.memory_gb} GiB, ${m.platform}, Node ${m.node}${m.chromium ? `, ${m.chromium}` : ''}, load average ${m.load_average_at_start} at start${r.options.quick ? ' — QUICK run' : ''}`,
    '',
    '| # | figure | median | spread (min–max) | runs | floor (same run) | ratio |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const s of r.scenarios) {
    if (s.status !== 'ok') {
      lines.push(
        `| ${s.number} | **${s.title}**: ${s.status} — ${(s.reason ?? '').split('\n')[0]!.replace(/\|/g, '/')} | | | | | |`,
      );
      continue;
    }
    for (const f of s.figures) lines.push(figureRow(s, f));
  }
  const targets = r.scenarios.flatMap((s) => s.targets.map((t) => ({ s, t })));
  if (targets.length) {
    lines.push('', '| # | target | rule | value | met |', '|---|---|---|---|---|');
    for (const { s, t } of targets)
      lines.push(
        `| ${s.number} | ${t.name} | ${t.rule} | ${t.value === null ? '—' : `${num(t.value)} ${t.unit}`} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'} |`,
      );
  }
  const notes = r.scenarios.filter((s) => s.notes.length);
  if (notes.length) {
    lines.push('');
    for (const s of notes) for (const n of s.notes) lines.push(`- ${s.number}. ${s.title}: ${n}`);
  }
  lines.push('', `Total ${r.duration_s.toFixed(0)} s.`);
  return lines.join('\n');
}

/** JSON with NaN/Infinity written as null (JSON has no NaN). */
export function reportJson(r: BenchReport): string {
  return (
    JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n'
  );
}

/** Writes `latest.json` and a dated copy into `dir`; returns both paths. */
export async function writeReport(r: BenchReport, dir: string): Promise<{ latest: string; dated: string }> {
  await mkdir(dir, { recursive: true });
  const text = reportJson(r);
  const stamp = r.started_at.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  const latest = join(dir, 'latest.json');
  const dated = join(dir, `${stamp}.json`);
  await writeFile(latest, text);
  await writeFile(dated, text);
  return { latest, dated };
}
