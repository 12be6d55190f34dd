import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a running host (default 127.0.0.1:8080,
// e.g. `leadscore serve --dev`); the built UI is served by the host itself.
const api = process.env.LEADSCORE_API ?? 'http://127.0.0.1:8080';
const apiPaths = ['/leads', '/models', '/reports', '/learning', '/integrations', '/metrics', '/healthz', '/readyz'];

export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      output: {
        // The chart library (with React) is the bulk of the bundle and changes rarely.
        manualChunks: { charts: ['recharts'] },
      },
    },
  },
  server: {
    proxy: Object.fromEntries(apiPaths.map((p) => [p, { target: api, changeOrigin: false }])),
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
