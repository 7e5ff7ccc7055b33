import { blackFrame } from '../../nodes';
import { i420ToTensor, tensorToI420 } from './onnx/convert';
const f = blackFrame(512, 512);
for (let i = 0; i < f.data.length; i++) f.data[i] = (i * 7919) & 255;
const spec = { layout: 'NCHW' as const, range: [0, 1] as [number, number], channels: 'rgb' as const };
let t: Float32Array = i420ToTensor(f, spec);
const out = new Uint8Array(f.data.length);
for (let r = 0; r < 5; r++) {
  const a = performance.now();
  for (let i = 0; i < 20; i++) t = i420ToTensor(f, spec, 512, 512, t);
  const b = performance.now();
  for (let i = 0; i < 20; i++) tensorToI420(t, spec, 512, 512, 512, 512, out);
  const c = performance.now();
  console.log(((b - a) / 20).toFixed(2), ((c - b) / 20).toFixed(2));
}
