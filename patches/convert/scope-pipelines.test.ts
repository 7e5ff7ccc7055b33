import { describe, expect, it } from 'vitest';
import { parsePatch } from '../format/parse';
import { patchFromPipelines } from './scope-pipelines';

describe('patchFromPipelines (the patch for a Scope client that sends none)', () => {
  it('chains camera → each pipeline → output and is a valid patch', () => {
    const patch = patchFromPipelines({
      pipelineIds: ['passthrough', 'gray'],
      inputMode: 'video',
      loadParams: { width: 320, height: 240, not_a_param: 1 },
    });
    expect(patch.nodes.map((n) => [n.id, n.type])).toEqual([
      ['camera', 'camera'],
      ['pipeline', 'pipeline'],
      ['pipeline_2', 'pipeline'],
      ['output', 'output'],
    ]);
    expect(patch.edges.map((e) => `${e.from.node}→${e.to.node}`)).toEqual([
      'camera→pipeline',
      'pipeline→pipeline_2',
      'pipeline_2→output',
    ]);
    expect(patch.nodes[0]!.params).toEqual({ source_mode: 'camera', width: 320, height: 240 });
    expect(patch.nodes[1]!.params).toEqual({ width: 320, height: 240, pipeline_id: 'passthrough' });
    const parsed = parsePatch(JSON.stringify(patch));
    expect(parsed.ok).toBe(true);
  });

  it('uses the test pattern in text mode and the given node ids', () => {
    const patch = patchFromPipelines({ pipelineIds: ['gray'], inputMode: 'text', nodeIds: ['n1'] });
    expect(patch.nodes[0]!.params).toEqual({ source_mode: 'test_pattern' });
    expect(patch.nodes[1]!.id).toBe('n1');
  });
});
