import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// Tauri sets TAURI_DEV_HOST when the app runs on a device over the network (mobile dev);
// on the desktop it is unset and the dev server stays on localhost.
const devHost = process.env.TAURI_DEV_HOST;
const isDebugBuild = Boolean(process.env.TAURI_ENV_DEBUG);
const isVitest = Boolean(process.env.VITEST);

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Keep the Rust compiler's output visible when `tauri dev` runs both side by side.
  clearScreen: false,
  server: {
    // tauri.conf.json's devUrl points here; a busy port must fail loudly, not move.
    port: 1420,
    strictPort: true,
    host: devHost || false,
    ...(devHost ? { hmr: { protocol: 'ws', host: devHost, port: 1421 } } : {}),
    watch: {
      ignored: ['**/src-tauri/**', '**/target/**'],
    },
  },
  // Only the TAURI_ENV_* variables (platform, arch, debug) reach the bundle: a broader
  // TAURI_ prefix would also expose build secrets such as TAURI_SIGNING_PRIVATE_KEY.
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK on Linux and WKWebView on macOS are Safari-class engines; Windows uses WebView2.
    target: ['es2021', 'safari15'],
    minify: !isDebugBuild,
    sourcemap: isDebugBuild,
  },
  // Svelte ships separate server and browser builds; component tests need the browser one.
  ...(isVitest ? { resolve: { conditions: ['browser'] } } : {}),
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
});
