package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// gqlClient posts GraphQL operations to one replica.
type gqlClient struct {
	url   string
	token string
	http  *http.Client
}

func newGQL(url string) *gqlClient {
	return &gqlClient{url: url, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
}

// do runs query and decodes its data into out; GraphQL errors and
// userErrors are errors.
func (g *gqlClient) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if g.token != "" {
		req.Header.Set("Authorization", "Bearer "+g.token)
	}
	resp, err := g.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("graphql: %s", r.Errors[0].Message)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return err
	}
	return nil
}

type userErrors []struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

func (u userErrors) err() error {
	if len(u) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", u[0].Code, u[0].Message)
}

func (g *gqlClient) login(ctx context.Context, email, password string) (string, error) {
	var out struct {
		Login struct {
			Token *struct {
				AccessToken string `json:"accessToken"`
			} `json:"token"`
			UserErrors userErrors `json:"userErrors"`
		} `json:"login"`
	}
	err := g.do(ctx, `mutation($e:String!,$p:String!){login(email:$e,password:$p){token{accessToken} userErrors{message code}}}`,
		map[string]any{"e": email, "p": password}, &out)
	if err != nil {
		return "", err
	}
	if err := out.Login.UserErrors.err(); err != nil {
		return "", err
	}
	if out.Login.Token == nil {
		return "", errors.New("login: no token")
	}
	return out.Login.Token.AccessToken, nil
}

// variant finds a variant to order: the first of the first product.
func (g *gqlClient) variant(ctx context.Context) (string, error) {
	var out struct {
		Products struct {
			Edges []struct {
				Node struct {
					Variants []struct {
						ID string `json:"id"`
					} `json:"variants"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"products"`
	}
	if err := g.do(ctx, `{products(first:1){edges{node{variants{id}}}}}`, nil, &out); err != nil {
		return "", err
	}
	if len(out.Products.Edges) == 0 || len(out.Products.Edges[0].Node.Variants) == 0 {
		return "", errors.New("the store has no product to order")
	}
	return out.Products.Edges[0].Node.Variants[0].ID, nil
}

// guestOrder places one guest order of variant (a guest cart, then
// placeOrder with an email contact, cash on delivery) and returns its ID,
// when its placeOrder was sent and when the answer came.
func guestOrder(ctx context.Context, g *gqlClient, variant, key string) (id string, sent, answered time.Time, err error) {
	guest := *g
	guest.token = ""
	var c struct {
		CartCreate struct {
			Cart *struct {
				ID string `json:"id"`
			} `json:"cart"`
			UserErrors userErrors `json:"userErrors"`
		} `json:"cartCreate"`
	}
	err = guest.do(ctx, `mutation($v:ID!){cartCreate(lines:[{variantId:$v,quantity:1}]){cart{id} userErrors{message code}}}`,
		map[string]any{"v": variant}, &c)
	if err == nil {
		err = c.CartCreate.UserErrors.err()
	}
	if err == nil && c.CartCreate.Cart == nil {
		err = errors.New("cartCreate: no cart")
	}
	if err != nil {
		return "", sent, answered, err
	}
	var o struct {
		PlaceOrder struct {
			Order *struct {
				ID string `json:"id"`
			} `json:"order"`
			UserErrors userErrors `json:"userErrors"`
		} `json:"placeOrder"`
	}
	sent = time.Now()
	err = guest.do(ctx, `mutation($in:PlaceOrderInput!){placeOrder(input:$in){order{id} userErrors{message code}}}`,
		map[string]any{"in": map[string]any{
			"cartId":          c.CartCreate.Cart.ID,
			"shippingAddress": map[string]any{"line1": "1 Bench Road", "city": "Nairobi", "countryCode": "KE"},
			"paymentMethod":   "CASH_ON_DELIVERY",
			"idempotencyKey":  key,
			"contact":         map[string]any{"email": "bench-" + key + "@example.com"},
		}}, &o)
	answered = time.Now()
	if err == nil {
		err = o.PlaceOrder.UserErrors.err()
	}
	if err == nil && o.PlaceOrder.Order == nil {
		err = errors.New("placeOrder: no order")
	}
	if err != nil {
		return "", sent, answered, err
	}
	return o.PlaceOrder.Order.ID, sent, answered, nil
}

// chain is the staff status moves an order can make one after another.
var chain = []string{"PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "REFUNDED"}

// status reads an order's status (as staff).
func (g *gqlClient) status(ctx context.Context, id string) (string, error) {
	var out struct {
		Order *struct {
			Status string `json:"status"`
		} `json:"order"`
	}
	if err := g.do(ctx, `query($id:ID!){order(id:$id){status}}`, map[string]any{"id": id}, &out); err != nil {
		return "", err
	}
	if out.Order == nil {
		return "", fmt.Errorf("order %s not found", id)
	}
	return out.Order.Status, nil
}

// next is the status after s in chain, or "" at its end or off it.
func next(s string) string {
	for i, c := range chain[:len(chain)-1] {
		if c == s {
			return chain[i+1]
		}
	}
	return ""
}

// setStatus is the change: updateOrderStatus with a note, as staff. It
// returns when the mutation was sent and how long its answer took.
func (g *gqlClient) setStatus(ctx context.Context, id, status string) (time.Time, time.Duration, error) {
	var out struct {
		UpdateOrderStatus struct {
			UserErrors userErrors `json:"userErrors"`
		} `json:"updateOrderStatus"`
	}
	t0 := time.Now()
	err := g.do(ctx, `mutation($id:ID!,$s:OrderStatus!){updateOrderStatus(id:$id,status:$s,note:"wsload"){order{id} userErrors{message code}}}`,
		map[string]any{"id": id, "s": status}, &out)
	took := time.Since(t0)
	if err == nil {
		err = out.UpdateOrderStatus.UserErrors.err()
	}
	return t0, took, err
}
