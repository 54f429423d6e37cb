"""The office's dashboard: server-rendered HTML with server-drawn SVG charts."""
