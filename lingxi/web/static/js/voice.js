// Microphone capture for the voice path: one spoken request as a 16 kHz mono 16-bit PCM WAV
// (what POST /api/home/audio accepts). Stops by itself after the speaker falls silent.

export const SAMPLE_RATE = 16000;

/** Why recording could not start: "denied" (permission refused) or "unavailable" (no device). */
export class MicError extends Error {
  constructor(kind, cause) {
    super(kind);
    this.kind = kind;
    this.cause = cause;
  }
}

/** A WAV file (RIFF, PCM 16-bit mono) of Float32 samples in [-1, 1]. */
export function encodeWav(samples, rate = SAMPLE_RATE) {
  const buf = new ArrayBuffer(44 + samples.length * 2);
  const v = new DataView(buf);
  const str = (o, s) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  str(0, "RIFF");
  v.setUint32(4, 36 + samples.length * 2, true);
  str(8, "WAVE");
  str(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  str(36, "data");
  v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    v.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buf], { type: "audio/wav" });
}

/**
 * Start recording one utterance. Returns `{ stop, cancel, done }`: `done` resolves to a WAV Blob,
 * or null when nothing was said (or on cancel); it rejects with MicError when the microphone is
 * refused or missing. Recording ends `silenceMs` after speech stops, at `maxSeconds`, or on stop().
 */
export function recordUtterance({ maxSeconds = 10, silenceMs = 900, waitSeconds = 6, onSpeech } = {}) {
  let finish = null;
  let cancelled = false;
  let stopped = false;
  const done = (async () => {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !Ctx) throw new MicError("unavailable");
    let stream;
    try {
      // No automatic gain or noise suppression: their clipping and gating cost the recogniser words.
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false } });
    } catch (err) {
      const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
      throw new MicError(denied ? "denied" : "unavailable", err);
    }
    const ctx = new Ctx({ sampleRate: SAMPLE_RATE });
    const rate = ctx.sampleRate;
    const source = ctx.createMediaStreamSource(stream);
    const proc = ctx.createScriptProcessor(2048, 1, 1);
    const mute = ctx.createGain();
    mute.gain.value = 0;
    const chunks = [];
    let total = 0, speechAt = -1, speechMs = 0, quietMs = 0, floor = 0.003;
    const ended = new Promise((resolve) => {
      finish = resolve;
    });
    if (stopped) finish();
    proc.onaudioprocess = (ev) => {
      const data = new Float32Array(ev.inputBuffer.getChannelData(0));
      chunks.push(data);
      total += data.length;
      let sum = 0;
      for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
      const rms = Math.sqrt(sum / data.length);
      const ms = (data.length / rate) * 1000;
      const threshold = Math.max(0.01, floor * 4);
      if (rms > threshold) {
        if (speechAt < 0) {
          speechAt = Math.max(0, total - data.length - Math.round(rate * 0.3));
          if (onSpeech) onSpeech();
        }
        speechMs += ms;
        quietMs = 0;
      } else {
        floor = floor * 0.95 + rms * 0.05; // the room's noise level, learnt while quiet
        if (speechAt >= 0) quietMs += ms;
      }
      const seconds = total / rate;
      if ((speechMs >= 250 && quietMs >= silenceMs) || seconds >= maxSeconds || (speechAt < 0 && seconds >= waitSeconds)) finish();
    };
    source.connect(proc);
    proc.connect(mute);
    mute.connect(ctx.destination);
    await ended;
    proc.onaudioprocess = null;
    source.disconnect();
    proc.disconnect();
    stream.getTracks().forEach((tr) => tr.stop());
    await ctx.close();
    if (cancelled || speechAt < 0) return null;
    const samples = new Float32Array(total);
    let at = 0;
    for (const c of chunks) {
      samples.set(c, at);
      at += c.length;
    }
    return encodeWav(samples.subarray(speechAt), rate);
  })();
  return {
    done,
    stop: () => {
      stopped = true;
      if (finish) finish();
    },
    cancel: () => {
      cancelled = true;
      stopped = true;
      if (finish) finish();
    },
  };
}
