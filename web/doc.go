// Package web is hoso's browser application: server-rendered pages
// (html/template, with htmx for search as you type) served by `hoso serve`
// itself at "/", beside the API under /api/v1.
//
// Every page is a client of the API, called in process: a handler sends the
// API's own http.Handler the request a script would send, with the
// session's bearer token and the browser's address, and renders the answer.
// So a page runs exactly the API's access checks, read logging, If-Match
// checks and problem codes, and can never show what the API would refuse;
// there is no second implementation of a rule to drift. The cost is one
// JSON encoding and decoding per call, no network.
//
// The session cookie holds the API's session token (HttpOnly, SameSite=Lax,
// Secure when the request came over TLS). Every form carries a CSRF token
// checked against a cookie (double submit), and cross-origin unsafe
// requests are refused before that by net/http's CrossOriginProtection.
package web
