// Imported first: Apollo Client prints its cache warnings only in
// development builds, and reads this flag when it loads.
globalThis.__DEV__ = true;
