/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The app is served from the binary by Tauri's custom protocol: relative asset paths, no inline
// scripts (the CSP allows 'self' only), one small bundle.
export default defineConfig({
  base: "./",
  clearScreen: false,
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
