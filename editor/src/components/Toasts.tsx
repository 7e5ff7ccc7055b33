import { useEditor, useStore } from '../state/react';

/** Messages, the connect-refusal hint and the camera permission problem. */
export function Overlays() {
  const store = useStore();
  const toasts = useEditor((s) => s.toasts);
  const hint = useEditor((s) => s.connectHint);
  const camera = useEditor((s) => s.cameraProblem);
  return (
    <>
      {hint && (
        <div
          className="connect-hint"
          data-testid="connect-hint"
          role="alert"
          style={{ left: Math.min(hint.x + 14, window.innerWidth - 380), top: hint.y + 14 }}
        >
          <b>Can’t connect.</b> {hint.text}
        </div>
      )}
      {camera && (
        <div className="modal-back">
          <div className="modal camera-problem" data-testid="camera-problem" role="alertdialog">
            <h2>The camera is not available</h2>
            <p>{camera.message}</p>
            <div className="modal-actions">
              <button
                className="primary"
                data-testid="use-test-pattern"
                onClick={() => store.useTestPattern(camera.nodes)}
              >
                Use the test pattern
              </button>
              <button onClick={() => void store.run()}>Try again</button>
              <button onClick={() => store.useTestPattern([])}>Close</button>
            </div>
          </div>
        </div>
      )}
      <div className="toasts">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.kind}`} data-testid={`toast-${t.kind}`}>
            <span>{t.text}</span>
            {t.action && <button onClick={t.action.run}>{t.action.label}</button>}
            <button className="icon" onClick={() => store.dismiss(t.id)} title="Dismiss">
              ✕
            </button>
          </div>
        ))}
      </div>
    </>
  );
}
