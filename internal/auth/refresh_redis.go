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
//	<prefix>t:<hash>      hash {c: customer, f: family, u: used 0/1, i: issued ms}
//	<prefix>f:<family>    present when the family is revoked
//	<prefix>c:<customer>  ms before which every token of the customer is revoked
//
// Rotation is one Lua script, so Redis runs it atomically: of two
// concurrent rotations of one token, the second sees it used.
type RedisRefreshStore struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewRedisRefreshStore returns a store over rdb with keys under prefix
// (such as "savannah:refresh:").
func NewRedisRefreshStore(rdb redis.UniversalClient, prefix string) *RedisRefreshStore {
	return &RedisRefreshStore{rdb: rdb, prefix: prefix, now: time.Now}
}

// rotateScript returns {1, customer} on success, {0, 0} for an unknown,
// revoked or cut-off token, and {-1, 0} for reuse (after revoking the
// family). KEYS: old token, new token. ARGV: prefix, now ms, ttl ms.
var rotateScript = redis.NewScript(`
local t = redis.call('HMGET', KEYS[1], 'c', 'f', 'u', 'i')
if not t[1] then return {0, 0} end
local pre = ARGV[1]
if redis.call('EXISTS', pre .. 'f:' .. t[2]) == 1 then return {0, 0} end
local cut = redis.call('GET', pre .. 'c:' .. t[1])
if cut and tonumber(t[4]) < tonumber(cut) then return {0, 0} end
if t[3] == '1' then
  redis.call('SET', pre .. 'f:' .. t[2], '1', 'PX', ARGV[3])
  return {-1, 0}
end
redis.call('HSET', KEYS[1], 'u', '1')
redis.call('HSET', KEYS[2], 'c', t[1], 'f', t[2], 'u', '0', 'i', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {1, tonumber(t[1])}
`)

func (s *RedisRefreshStore) tokenKey(hash string) string { return s.prefix + "t:" + hash }

// Create implements RefreshStore.
func (s *RedisRefreshStore) Create(ctx context.Context, customerID int, tokenHash string, ttl time.Duration) error {
	fam, err := newFamily()
	if err != nil {
		return err
	}
	key := s.tokenKey(tokenHash)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "c", customerID, "f", fam, "u", 0, "i", s.now().UnixMilli())
		p.PExpire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	return nil
}

// Rotate implements RefreshStore.
func (s *RedisRefreshStore) Rotate(ctx context.Context, oldHash, newHash string, ttl time.Duration) (int, error) {
	res, err := rotateScript.Run(ctx, s.rdb,
		[]string{s.tokenKey(oldHash), s.tokenKey(newHash)},
		s.prefix, s.now().UnixMilli(), ttl.Milliseconds()).Int64Slice()
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

// RevokeCustomer implements RefreshStore: tokens issued before now stop
// working, tokens issued afterwards (the new sign-in) do.
func (s *RedisRefreshStore) RevokeCustomer(ctx context.Context, customerID int) error {
	key := s.prefix + "c:" + strconv.Itoa(customerID)
	if err := s.rdb.Set(ctx, key, s.now().UnixMilli(), RefreshTokenTTL).Err(); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
