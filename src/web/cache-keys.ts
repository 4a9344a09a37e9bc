/** Keys of the web cache (`cache:web:…`, see docs/caching.md), relative to the web store. Built only here. */
export const WebCacheKeys = {
  rate: (from: string, to: string) => `rates:${from}_${to}`,
  /** Every current pair; `_` cannot appear in a currency code, so it never collides with a pair. */
  allRates: () => 'rates:_all',
  orders: (userId: string) => `orders:${userId}`,
  analytics: (name: string) => `analytics:${name}`,
};
