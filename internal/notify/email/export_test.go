package email

// Compose exposes compose to the external tests, which check the MIME
// structure without a server.
var Compose = compose
