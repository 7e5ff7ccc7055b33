import { useEffect, useRef } from 'react';

/** A muted, autoplaying video element bound to a MediaStream. */
export function VideoView({
  stream,
  testId,
  className,
}: {
  stream: MediaStream | undefined;
  testId: string;
  className?: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    if (v.srcObject !== (stream ?? null)) v.srcObject = stream ?? null;
    if (stream) void v.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} data-testid={testId} className={className} muted playsInline autoPlay />;
}
