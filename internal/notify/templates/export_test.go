package templates

// Parse exposes parse to the external tests, which feed it broken
// template trees.
var Parse = parse
