/**
 * The one CUDA install hint: `GET /api/v1/hardware/info`'s `install_hint`, the ONNX pipelines'
 * "running on CPU" message, the README and runtime/pipelines/README.md all say this text.
 * `npm install` skips onnxruntime-node's CUDA download (package.json `allowScripts` denies its
 * postinstall; CI also sets ONNXRUNTIME_NODE_INSTALL=skip), so running its install script by hand
 * is the way in. No imports: runtime/pipelines reads it too.
 */
export const CUDA_INSTALL_HINT =
  "To use the GPU: install the NVIDIA driver, CUDA 12 and cuDNN 9, then, with network access, fetch onnxruntime-node's CUDA add-on: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (npm install skips that download)";
