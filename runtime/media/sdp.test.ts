import { describe, expect, it } from 'vitest';
import { answerDirection, assertSdp, mungeVp8Bitrate, parseVideoMLines } from './sdp';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1 2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
  'a=mid:0',
  'a=sendrecv',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=mid:1',
  'm=video 9 UDP/TLS/RTP/SAVPF 98',
  'a=mid:2',
  'a=recvonly',
  'a=rtpmap:98 VP8/90000',
  'a=fmtp:98 max-fs=12288;x-google-max-bitrate=100',
  '',
].join('\r\n');

describe('sdp helpers', () => {
  it('lists video m-lines with mids, directions and VP8 payload types', () => {
    expect(parseVideoMLines(OFFER)).toEqual([
      { mLineIndex: 0, mid: '0', direction: 'sendrecv', rejected: false, vp8PayloadTypes: [96] },
      { mLineIndex: 2, mid: '2', direction: 'recvonly', rejected: false, vp8PayloadTypes: [98] },
    ]);
  });

  it('adds the bitrate floor to VP8 fmtp lines, replacing old x-google values, keeping CRLF', () => {
    const out = mungeVp8Bitrate(OFFER, { minKbps: 1500, startKbps: 1500, maxKbps: 3000 });
    const hints = 'x-google-min-bitrate=1500;x-google-start-bitrate=1500;x-google-max-bitrate=3000';
    expect(out).toContain(`a=rtpmap:96 VP8/90000\r\na=fmtp:96 ${hints}\r\n`);
    expect(out).toContain(`a=fmtp:98 max-fs=12288;${hints}\r\n`);
    expect(out).toContain('a=fmtp:97 apt=96\r\n');
    expect(out).not.toContain('max-bitrate=100');
    expect(out.split('\r\n').length).toBe(OFFER.split('\r\n').length + 1);
  });

  it('answers directions from the other side', () => {
    expect(answerDirection('recvonly')).toBe('sendonly');
    expect(answerDirection('sendonly')).toBe('recvonly');
    expect(answerDirection('sendrecv')).toBe('sendrecv');
  });

  it('names what is wrong with a bad SDP', () => {
    expect(() => assertSdp(42, 'offer')).toThrow(/offer: SDP must be a string/);
    expect(() => assertSdp('hello', 'offer')).toThrow(/v=0/);
    expect(() => assertSdp('v=0\r\ns=-\r\n', 'offer')).toThrow(/no media section/);
    expect(() => assertSdp('v=0\n' + 'a'.repeat(200_000), 'offer')).toThrow(/limit/);
  });
});
