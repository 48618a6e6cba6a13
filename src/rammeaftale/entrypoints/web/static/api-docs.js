// Starts Swagger UI on /api/docs (development only, docs/decisions/0005-security-headers.md).
// A file, not an inline script, so the page keeps "script-src 'self'" for its own code.
// Calls made with the session cookie that change something carry the session's CSRF token.
"use strict";

let csrfToken = null;

async function sessionCsrfToken() {
  if (csrfToken === null) {
    const response = await fetch("/api/csrf", { credentials: "same-origin" });
    csrfToken = response.ok ? (await response.json()).csrf_token : "";
  }
  return csrfToken;
}

window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  requestInterceptor: async (request) => {
    const method = (request.method || "GET").toUpperCase();
    if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
      const token = await sessionCsrfToken();
      if (token) {
        request.headers["X-CSRF-Token"] = token;
      }
    }
    return request;
  },
});
