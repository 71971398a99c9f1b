//go:build ignore

// Command entc generates the ent client and the entgql GraphQL schema. Run it
// from the module root (go generate . does): entgql compares its schema path
// with gqlgen.yml's, so both must be root-relative.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithWhereInputs(true),
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithSchemaPath("graph/ent.graphql"),
		entgql.WithRelaySpec(true),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:  "ent",
		Package: "github.com/savannah-commerce/savannah/ent",
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureExecQuery,
			gen.FeatureModifier,
			gen.FeatureIntercept,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureGlobalID,
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
		},
	}, entc.Extensions(ex), entc.TemplateFiles("ent/template/edgefilter.tmpl", "ent/template/sensitive.tmpl"))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
