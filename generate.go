// Package savannah is the root of the Savannah commerce backend. It holds
// nothing but the code generation steps: ent (with entgql) first, then gqlgen,
// then the rewrite of gqlgen's executor for cheaper execution (graph/fastexec),
// then the served schema as SDL (graph/schema/savannah.graphql, graph/schemacheck).
package savannah

//go:generate go run ./ent/entc.go
//go:generate go tool gqlgen generate
//go:generate go run ./graph/fastexec
//go:generate go run ./graph/schemacheck -write
