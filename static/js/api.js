/* Calls to Jiayuan's JSON API from the pages, with the session cookie.
 * Every answer that is not 2xx becomes an ApiError carrying the contract's
 * {error: {code, message, ...}} so that pages can show the message as it is. */
(function () {
  "use strict";

  class ApiError extends Error {
    constructor(status, error) {
      super((error && error.message) || ("HTTP " + status));
      this.status = status;
      this.code = error && error.code;
      this.error = error || {};
    }
  }

  // The page's CSRF token: every change made with the session cookie carries it.
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.content : "";

  async function call(method, url, body) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Accept-Language": document.documentElement.lang },
    };
    if (method !== "GET" && csrfToken) {
      options.headers["X-CSRFToken"] = csrfToken;
    }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!response.ok) {
      throw new ApiError(response.status, data && data.error);
    }
    return data;
  }

  window.jiayuanApi = {
    ApiError: ApiError,
    get: (url) => call("GET", url),
    post: (url, body) => call("POST", url, body === undefined ? {} : body),
    put: (url, body) => call("PUT", url, body),
    delete: (url, body) => call("DELETE", url, body),
  };
})();
