package seed

import (
	"fmt"
	"strings"
)

// Generated catalogues (Generate) for load tests at any size. Everything
// in them is a function of the product count, so a benchmark computes
// slugs and expected hit counts instead of reading the catalogue:
//
//   - The tree has the 5 roots and the first-level categories of the
//     benchmark catalogue (../shared/bench/catalog.json); Shape gives how
//     many children each root has and how many leaves each child has.
//     Root slugs: electronics, home-and-kitchen, fashion,
//     sports-and-outdoors, health-and-beauty. A child's slug is one of the
//     benchmark's (phones, laptops, …), followed by "-2", "-3", … past the
//     fifth child of a root; a leaf's slug is its parent's slug, a dash
//     and its range in lower case (phones-essentials, phones-premium, …,
//     see generatedRanges).
//   - Product i (1-based) has the slug product-%06d (product-000001), is
//     in leaf (i-1) mod leaves, leaves numbered in pre-order, and its
//     variants have the SKUs P%06d-S, -M and -L (P000001-S).
//   - Product i is named "<Adjective> <Word> <Type> %06d": the adjective
//     is GeneratedAdjectives[(i-1) mod 20] and the word
//     GeneratedWords[((i-1)/20) mod 16]. No other name or description
//     holds either list's words, so searching one adjective finds the
//     products with (i-1) mod 20 = its index (n/20 when 20 divides n),
//     and searching an adjective and a word finds n/320 when 320 divides
//     n (for example "rapid neema": products 1-20 mod 320 = 1).
//   - Every variant has 100 in stock; prices are in KES minor units.

// MaxGenerated is the largest catalogue Generate makes: six-digit product
// numbers.
const MaxGenerated = 999_999

// GeneratedAdjectives are the first words of generated product names.
var GeneratedAdjectives = [...]string{
	"Rapid", "Bright", "Royal", "Solid", "Eco", "Urban", "Pure", "Alpine", "Zen", "Coastal",
	"Swift", "Vivid", "Prime", "Classic", "Quiet", "Savanna", "Nova", "Nomad", "Bold", "Sturdy",
}

// GeneratedWords are the second words of generated product names.
var GeneratedWords = [...]string{
	"Neema", "Nyota", "Tembo", "Upendo", "Pwani", "Jua", "Rafiki", "Amani",
	"Baraka", "Mara", "Zuri", "Imara", "Tana", "Safari", "Simba", "Kibo",
}

// generatedRoots are the benchmark catalogue's roots, each with its five
// first-level categories and the product type sold in each.
var generatedRoots = []struct {
	name     string
	children [5]struct{ name, kind string }
}{
	{"Electronics", [5]struct{ name, kind string }{{"Phones", "Phone"}, {"Laptops", "Laptop"}, {"Audio", "Headphones"}, {"Cameras", "Camera"}, {"Wearables", "Smartwatch"}}},
	{"Home and Kitchen", [5]struct{ name, kind string }{{"Cookware", "Frying Pan"}, {"Furniture", "Armchair"}, {"Bedding", "Duvet"}, {"Lighting", "Desk Lamp"}, {"Storage", "Shelf Unit"}}},
	{"Fashion", [5]struct{ name, kind string }{{"Menswear", "Shirt"}, {"Womenswear", "Dress"}, {"Footwear", "Sneaker"}, {"Bags", "Backpack"}, {"Jewellery", "Necklace"}}},
	{"Sports and Outdoors", [5]struct{ name, kind string }{{"Fitness", "Dumbbell Set"}, {"Cycling", "Bicycle"}, {"Camping", "Tent"}, {"Team Sports", "Football"}, {"Water Sports", "Wetsuit"}}},
	{"Health and Beauty", [5]struct{ name, kind string }{{"Skincare", "Face Serum"}, {"Haircare", "Shampoo"}, {"Fragrance", "Perfume"}, {"Vitamins", "Multivitamin"}, {"Personal Care", "Toothbrush"}}},
}

// generatedRanges name the leaves under a first-level category, in order;
// the first four are the benchmark catalogue's.
var generatedRanges = [...]string{
	"Essentials", "Premium", "Accessories", "Outlet", "Kids", "Pro", "Travel", "Outdoor", "Compact", "Deluxe",
	"Starter", "Limited", "Vintage", "Sport", "Heritage", "Studio", "Family", "Mini", "Max", "Select",
}

// Shape is the tree Generate builds for a catalogue of the given size: 5
// roots, children first-level categories under each, leaves under each of
// those. Up to 2,000 products: 5 × 5 × 4, the benchmark catalogue's;
// up to 20,000: 5 × 10 × 10; beyond: 5 × 20 × 20.
func Shape(products int) (children, leaves int) {
	switch {
	case products <= 2_000:
		return 5, 4
	case products <= 20_000:
		return 10, 10
	default:
		return 20, 20
	}
}

// Generate returns a deterministic catalogue of products products (1 to
// MaxGenerated), 3 variants each (sizes S, M, L), in the tree Shape gives;
// the same count always gives the same catalogue. The scheme of its slugs
// and names is documented at the top of this file.
func Generate(products int) *Catalog {
	if products < 1 || products > MaxGenerated {
		panic(fmt.Sprintf("seed.Generate: %d products, want 1 to %d", products, MaxGenerated))
	}
	children, leavesPer := Shape(products)
	c := &Catalog{Format: Format, Currency: "KES"}
	type leaf struct {
		id         int
		name, kind string
		root       string
	}
	var leaves []leaf
	add := func(slug, name, desc string, parent *int, depth, pos int) int {
		id := len(c.Categories) + 1
		c.Categories = append(c.Categories, Category{
			ID: id, Slug: slug, Name: name, Description: desc,
			ParentID: parent, Depth: depth, Position: pos,
		})
		return id
	}
	for r, root := range generatedRoots {
		rootID := add(slugOf(root.name), root.name, fmt.Sprintf("All %s products.", strings.ToLower(root.name)), nil, 0, r)
		for ci := range children {
			base := root.children[ci%5]
			name := base.name
			if ci >= 5 {
				name = fmt.Sprintf("%s %d", base.name, ci/5+1)
			}
			childSlug := slugOf(name)
			childID := add(childSlug, name, fmt.Sprintf("%s in %s.", name, root.name), &rootID, 1, ci)
			for li := range leavesPer {
				rng := generatedRanges[li]
				id := add(childSlug+"-"+strings.ToLower(rng), name+" "+rng,
					fmt.Sprintf("%s range of %s.", rng, strings.ToLower(name)), &childID, 2, li)
				leaves = append(leaves, leaf{id: id, name: name + " " + rng, kind: base.kind, root: root.name})
			}
		}
	}
	c.Products = make([]Product, products)
	for i := 1; i <= products; i++ {
		l := leaves[(i-1)%len(leaves)]
		name := fmt.Sprintf("%s %s %s %06d",
			GeneratedAdjectives[(i-1)%len(GeneratedAdjectives)],
			GeneratedWords[((i-1)/len(GeneratedAdjectives))%len(GeneratedWords)],
			l.kind, i)
		// A price from 1,000.00 to 19,990.00, spread by a multiplicative
		// hash of i; M and L cost 10 % and 20 % more.
		base := int64(100_000 + (uint32(i)*2654435761)%1_900*1_000)
		p := Product{
			ID:          i,
			Slug:        fmt.Sprintf("product-%06d", i),
			Name:        name,
			Description: fmt.Sprintf("%s is part of our %s selection in %s. Stocked and shipped from Nairobi.", name, l.name, l.root),
			CategoryID:  l.id,
			Variants:    make([]Variant, 3),
		}
		for s, size := range [3]string{"S", "M", "L"} {
			p.Variants[s] = Variant{
				SKU:            fmt.Sprintf("P%06d-%s", i, size),
				Name:           name + " " + size,
				Size:           size,
				Price:          base * int64(10+s) / 10,
				StockOnHand:    100,
				TrackInventory: true,
			}
		}
		c.Products[i-1] = p
	}
	return c
}

// slugOf is a category name in lower case with dashes between its words
// ("Home and Kitchen" → home-and-kitchen, "Phones 2" → phones-2).
func slugOf(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), " ", "-")
}
