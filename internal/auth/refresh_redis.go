package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisRefreshStore keeps refresh tokens in Redis, every key with a TTL:
//
//	<prefix>t:<hash>      hash {c: customer, f: family, u: used 0/1, g: generation}
//	<prefix>f:<family>    present when the family is revoked
//	<prefix>c:<customer>  the customer's generation, raised to revoke all
//
// A token is valid only while its generation is the customer's current
// one (a counter, not a clock: a new sign-in in the same millisecond as a
// password change must survive it). Creation and rotation are Lua
// scripts, so Redis runs each atomically: of two concurrent rotations of
// one token, the second sees it used. The scripts build the family and
// customer keys themselves, so this store assumes one Redis node, not a
// cluster.
type RedisRefreshStore struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisRefreshStore returns a store over rdb with keys under prefix
// (such as "savannah:refresh:").
func NewRedisRefreshStore(rdb redis.UniversalClient, prefix string) *RedisRefreshStore {
	return &RedisRefreshStore{rdb: rdb, prefix: prefix}
}

// createScript stores a first token at the customer's current
// generation, and keeps the generation key alive as long as the token.
// KEYS: token, customer. ARGV: customer ID, family, ttl ms.
var createScript = redis.NewScript(`
local g = redis.call('GET', KEYS[2])
if g then redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[3]), redis.call('PTTL', KEYS[2]))) else g = '0' end
redis.call('HSET', KEYS[1], 'c', ARGV[1], 'f', ARGV[2], 'u', '0', 'g', g)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// rotateScript returns {1, customer} on success, {0, 0} for an unknown,
// revoked or outdated token, and {-1, 0} for reuse (after revoking the
// family). KEYS: old token, new token. ARGV: prefix, ttl ms.
var rotateScript = redis.NewScript(`
local t = redis.call('HMGET', KEYS[1], 'c', 'f', 'u', 'g')
if not t[1] then return {0, 0} end
local pre = ARGV[1]
if redis.call('EXISTS', pre .. 'f:' .. t[2]) == 1 then return {0, 0} end
local ckey = pre .. 'c:' .. t[1]
local g = redis.call('GET', ckey) or '0'
if g ~= t[4] then return {0, 0} end
if t[3] == '1' then
  redis.call('SET', pre .. 'f:' .. t[2], '1', 'PX', ARGV[2])
  return {-1, 0}
end
redis.call('HSET', KEYS[1], 'u', '1')
redis.call('HSET', KEYS[2], 'c', t[1], 'f', t[2], 'u', '0', 'g', g)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if g ~= '0' then redis.call('PEXPIRE', ckey, math.max(tonumber(ARGV[2]), redis.call('PTTL', ckey))) end
return {1, tonumber(t[1])}
`)

// revokeCustomerScript raises the generation, outliving every token.
var revokeCustomerScript = redis.NewScript(`
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

func (s *RedisRefreshStore) customerKey(id int) string { return s.prefix + "c:" + strconv.Itoa(id) }

func (s *RedisRefreshStore) tokenKey(hash string) string { return s.prefix + "t:" + hash }

// Create implements RefreshStore.
func (s *RedisRefreshStore) Create(ctx context.Context, customerID int, tokenHash string, ttl time.Duration) error {
	fam, err := newFamily()
	if err != nil {
		return err
	}
	err = createScript.Run(ctx, s.rdb, []string{s.tokenKey(tokenHash), s.customerKey(customerID)},
		customerID, fam, ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	return nil
}

// Rotate implements RefreshStore.
func (s *RedisRefreshStore) Rotate(ctx context.Context, oldHash, newHash string, ttl time.Duration) (int, error) {
	res, err := rotateScript.Run(ctx, s.rdb,
		[]string{s.tokenKey(oldHash), s.tokenKey(newHash)},
		s.prefix, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("rotate refresh token: %w", err)
	}
	switch res[0] {
	case 1:
		return int(res[1]), nil
	case -1:
		return 0, ErrRefreshReused
	default:
		return 0, ErrRefreshInvalid
	}
}

// RevokeFamily implements RefreshStore.
func (s *RedisRefreshStore) RevokeFamily(ctx context.Context, tokenHash string) error {
	fam, err := s.rdb.HGet(ctx, s.tokenKey(tokenHash), "f").Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find refresh token: %w", err)
	}
	// The marker outlives every token of the family: none was issued with
	// a lifetime longer than RefreshTokenTTL from now.
	if err := s.rdb.Set(ctx, s.prefix+"f:"+fam, 1, RefreshTokenTTL).Err(); err != nil {
		return fmt.Errorf("revoke refresh family: %w", err)
	}
	return nil
}

// RevokeCustomer implements RefreshStore: tokens issued before it stop
// working, tokens issued afterwards (the new sign-in) do.
func (s *RedisRefreshStore) RevokeCustomer(ctx context.Context, customerID int) error {
	err := revokeCustomerScript.Run(ctx, s.rdb, []string{s.customerKey(customerID)}, RefreshTokenTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
