// The camera viewfinder and the photo picker. Frames go to the Rust scanner session (which decodes
// them); the webview only captures pixels. A code is a lookup key: nothing here ever opens it.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Decoded } from "../api";
import { errorMessage, useApp } from "../app";
import { Icon } from "../icons";

/** Largest frame width sent to the decoder (1280×720 from a typical phone camera). */
const MAX_WIDTH = 1280;

export function Scanner(props: {
  onCode: (d: Decoded) => void;
  /** Keep scanning after a read (warehouse: many items in a row). */
  continuous?: boolean;
  multiplePhotos?: boolean;
  idPrefix: string;
}) {
  const { tr } = useApp();
  const video = useRef<HTMLVideoElement>(null);
  const [running, setRunning] = useState(false);
  const [fps, setFps] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const stop = useRef<() => void>(() => undefined);
  const onCode = useRef(props.onCode);
  onCode.current = props.onCode;

  useEffect(() => () => stop.current(), []);

  const startCamera = async () => {
    setProblem(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      setProblem(tr("camera_missing"));
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (e) {
      const name = e instanceof DOMException ? e.name : "";
      setProblem(name === "NotAllowedError" || name === "SecurityError" ? tr("camera_denied") : tr("camera_missing"));
      return;
    }
    const v = video.current;
    if (!v) return;
    v.srcObject = stream;
    await v.play().catch(() => undefined);
    await api.scanStart();
    setRunning(true);
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    let alive = true;
    let inFlight = false;
    stop.current = () => {
      alive = false;
      stream.getTracks().forEach((t) => t.stop());
      v.srcObject = null;
      setRunning(false);
    };
    const tick = async () => {
      if (!alive) return;
      if (!inFlight && ctx && v.videoWidth > 0) {
        const scale = Math.min(1, MAX_WIDTH / v.videoWidth);
        const w = Math.round(v.videoWidth * scale);
        const h = Math.round(v.videoHeight * scale);
        if (canvas.width !== w) canvas.width = w;
        if (canvas.height !== h) canvas.height = h;
        ctx.drawImage(v, 0, 0, w, h);
        const frame = ctx.getImageData(0, 0, w, h);
        inFlight = true;
        try {
          const r = await api.scanFrame(w, h, new Uint8Array(frame.data.buffer));
          setFps(r.fps);
          if (r.read) {
            onCode.current(r.read);
            if (props.continuous) await api.scanStart();
            else stop.current();
          }
        } catch (e) {
          setProblem(errorMessage(e));
        } finally {
          inFlight = false;
        }
      }
      if (alive) requestAnimationFrame(() => void tick());
    };
    requestAnimationFrame(() => void tick());
  };

  const onPhoto = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = "";
    setProblem(null);
    setBusy(true);
    try {
      for (const f of files) {
        const codes = await api.decodeImage(new Uint8Array(await f.arrayBuffer()));
        if (codes.length === 0) setProblem(tr("no_code_found"));
        for (const c of codes) onCode.current(c);
      }
    } catch (err) {
      setProblem(tr("error", { message: errorMessage(err) }));
    } finally {
      setBusy(false);
    }
  };

  const id = props.idPrefix;
  return (
    <div class="scanner">
      <div class={running ? "viewfinder on" : "viewfinder"} aria-hidden={!running}>
        <video ref={video} muted playsInline aria-label={tr("scan_hint")} />
        <div class="reticle" aria-hidden="true" />
        {running && fps !== null && <span class="fps" id={`${id}-fps`}>{tr("camera_fps", { fps: fps.toFixed(0) })}</span>}
      </div>
      <div class="row wrap">
        {running ? (
          <button type="button" class="button" id={`${id}-camera-stop`} onClick={() => stop.current()}>{tr("scan_stop")}</button>
        ) : (
          <button type="button" class="button primary big" id={`${id}-camera`} onClick={() => void startCamera()}>
            <Icon name="camera" /> {tr("scan_camera")}
          </button>
        )}
        <label for={`${id}-photo`} class="button big" aria-busy={busy}>
          <Icon name="photo" /> {tr("open_photo")}
        </label>
        <input id={`${id}-photo`} class="visually-hidden" type="file" accept="image/png,image/jpeg,image/gif"
          multiple={props.multiplePhotos} onChange={(e) => void onPhoto(e)} />
      </div>
      {problem && <p class="bad" role="alert" id={`${id}-problem`}>{problem}</p>}
    </div>
  );
}
