// Vite settings the addon brings to every deck: in `slides dev`, /api and /ws go to the lab server, so the
// components keep talking to their own origin as they do when the lab server serves the built deck.
import { defineConfig } from 'vite'

const target = process.env.SMTP_TLS_LAB_SERVER

export default defineConfig({
  build: {
    // Slidev 52's code.css puts a `dark:` utility inside a ::before rule; UnoCSS emits it as a nested rule there,
    // which lightningcss (Vite 8's default minifier) rejects and esbuild passes through (browsers drop it).
    cssMinify: 'esbuild',
  },
  server: target
    ? {
        proxy: {
          '/api': { target, changeOrigin: false },
          '/ws': { target: target.replace(/^http/, 'ws'), ws: true, changeOrigin: false },
        },
      }
    : {},
})
