// Small line icons drawn inline (no icon font, no emoji font needed, nothing fetched). Each is
// decorative: the text beside it says the same thing, so they are hidden from screen readers.
import type { JSX } from "preact";

const paths: Record<string, string> = {
  origin: "M12 21V11 M12 11C12 6 8 4 4 4c0 5 3 7 8 7z M12 13c0-4 3-6 8-6 0 4-3 6-8 6z",
  processing: "M3 21V10l5 3V10l5 3V6h3l1-3h2l1 3h1v15z M7 17h2 M12 17h2 M17 17h2",
  packing: "M3 7l9-4 9 4v10l-9 4-9-4z M3 7l9 4 9-4 M12 11v10",
  unpacking: "M4 9v10l8 3 8-3V9 M4 9l8 3 8-3 M4 9L2 5l8-2 2 6 M20 9l2-4-8-2-2 6 M12 12v10",
  shipping: "M2 6h11v10H2z M13 9h5l3 4v3h-8 M6 19a2 2 0 1 0 0-.01 M17 19a2 2 0 1 0 0-.01",
  receiving: "M3 10l9-6 9 6v11H3z M9 21v-6h6v6",
  import: "M5 21V4 M5 4h12l-2 4 2 4H5",
  cold_chain: "M12 2v20 M4 7l16 10 M20 7L4 17 M9 3l3 3 3-3 M9 21l3-3 3 3",
  retail: "M3 4h3l2 11h11l2-8H7 M9 20a1.5 1.5 0 1 0 0-.01 M18 20a1.5 1.5 0 1 0 0-.01",
  recall: "M12 3l10 18H2z M12 10v5 M12 18v.01",
  inspection: "M12 2l8 4v6c0 5-3.5 8.5-8 10-4.5-1.5-8-5-8-10V6z M8.5 12l2.5 2.5 4.5-5",
  other: "M12 12m-3 0a3 3 0 1 0 6 0a3 3 0 1 0-6 0",
  camera: "M3 8h4l2-3h6l2 3h4v12H3z M12 17a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z",
  photo: "M3 5h18v14H3z M3 16l5-5 4 4 3-3 6 6 M16 9.5a1.5 1.5 0 1 0 0-.01",
  warning: "M12 3l10 18H2z M12 10v5 M12 18v.01",
  info: "M12 12m-9 0a9 9 0 1 0 18 0a9 9 0 1 0-18 0 M12 11v6 M12 7v.01",
  unknown: "M12 12m-9 0a9 9 0 1 0 18 0a9 9 0 1 0-18 0 M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5V14 M12 17.5v.01",
};

export function Icon(props: { name: string; size?: number; class?: string }): JSX.Element {
  const d = paths[props.name] ?? paths.other;
  const size = props.size ?? 22;
  return (
    <svg class={`icon ${props.class ?? ""}`} width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false"
      fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      <path d={d} />
    </svg>
  );
}

/** The app's mark: four tally strokes crossed by a fifth. */
export function Logo(): JSX.Element {
  return (
    <svg class="logo" width="28" height="28" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect width="24" height="24" rx="5" fill="#ffffff" />
      <path d="M7 6v12 M10.5 6v12 M14 6v12 M17.5 6v12 M4.5 15.5L20 8.5" stroke="#0b5d4b" stroke-width="2.2" stroke-linecap="round" fill="none" />
    </svg>
  );
}
