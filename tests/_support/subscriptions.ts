/**
 * What a transport's subscriptions were: the topics of each, in the order asked, those still open,
 * and the most open at once (to tell reads begun together from reads one after another).
 */
import type { Subscription, Transport } from "../../core/transport/mod.ts";

/** Watches `transport.subscribe` from now on; `reset` forgets what was seen so far. */
export function watchSubscriptions(transport: Transport) {
  const seen = { joined: [] as string[][], open: new Set<Subscription>(), most: 0 };
  const subscribe = transport.subscribe.bind(transport);
  transport.subscribe = async (options) => {
    seen.joined.push([...options.topics]);
    const subscription = await subscribe(options);
    seen.open.add(subscription);
    seen.most = Math.max(seen.most, seen.open.size);
    const close = subscription.close.bind(subscription);
    subscription.close = (graceMs) => {
      seen.open.delete(subscription);
      return close(graceMs);
    };
    return subscription;
  };
  return Object.assign(seen, {
    reset() {
      seen.joined.length = 0;
      seen.most = seen.open.size;
    },
  });
}
