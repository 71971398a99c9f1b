package ratelimit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// takeScript is the whole bucket update, atomic in Redis so that replicas
// never race: refill by the time elapsed on Redis's own clock (replicas'
// clocks may differ), then take the cost if it fits. The bucket expires
// once it would be full again, since a missing bucket reads as full.
var takeScript = redis.NewScript(`
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate)
end
local allowed = 0
if cost <= tokens then
  tokens = math.min(capacity, tokens - cost)
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`)

// Redis is a Store shared by every replica using the same Redis.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a store keeping buckets in client under keys starting
// with prefix (for example "savannah:rl:").
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Take implements Store.
func (r *Redis) Take(ctx context.Context, p Policy, key string, cost float64) (Result, error) {
	k := r.prefix + p.Name + ":" + key
	out, err := takeScript.Run(ctx, r.client, []string{k},
		strconv.FormatFloat(p.Capacity, 'f', -1, 64),
		strconv.FormatFloat(p.RefillPerSecond, 'f', -1, 64),
		strconv.FormatFloat(cost, 'f', -1, 64)).Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: take from redis: %w", err)
	}
	if len(out) != 2 {
		return Result{}, fmt.Errorf("ratelimit: unexpected script answer %v", out)
	}
	allowed, _ := out[0].(int64)
	s, _ := out[1].(string)
	available, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: unexpected bucket level %q", s)
	}
	res := Result{Allowed: allowed == 1, Available: available}
	if !res.Allowed {
		res.RetryAfter = p.RetryAfter(available, cost)
	}
	return res, nil
}
