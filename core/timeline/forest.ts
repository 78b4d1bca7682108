/**
 * Spans as a forest: each item under the item its parent id names. One agent's trace
 * ({@link EventLog.traceTree}) and a group task's spans from every agent (core/group) are both
 * built this way.
 *
 * @module
 */

/** An item and the items whose parent it is, in the order they were given. */
export interface ForestNode<T> {
  readonly item: T;
  readonly children: ForestNode<T>[];
}

/** How {@link forest} reads an item's own id and its parent's. */
export interface ForestKeys<T> {
  readonly id: (item: T) => string;
  readonly parent: (item: T) => string | undefined;
}

/**
 * Builds a forest from `items` (in the order wanted among siblings). An item whose parent is not
 * among them, or that would close a cycle, is a root; of items sharing an id, the first is the
 * parent the others' children hang under. Nothing is dropped.
 *
 * @example
 * ```ts
 * import { forest } from "./forest.ts";
 * const roots = forest([{ id: "a" }, { id: "b", parent: "a" }], {
 *   id: (s) => s.id,
 *   parent: (s) => s.parent,
 * });
 * console.assert(roots.length === 1 && roots[0]!.children.length === 1);
 * ```
 */
export function forest<T>(items: readonly T[], keys: ForestKeys<T>): ForestNode<T>[] {
  const nodes = items.map((item): ForestNode<T> => ({ item, children: [] }));
  const byId = new Map<string, ForestNode<T>>();
  for (const node of nodes) {
    const id = keys.id(node.item);
    if (!byId.has(id)) byId.set(id, node);
  }
  const parentOf = new Map<ForestNode<T>, ForestNode<T>>();
  const closesCycle = (node: ForestNode<T>, parent: ForestNode<T>) => {
    for (let p: ForestNode<T> | undefined = parent; p !== undefined; p = parentOf.get(p)) {
      if (p === node) return true;
    }
    return false;
  };
  const roots: ForestNode<T>[] = [];
  for (const node of nodes) {
    const id = keys.parent(node.item);
    const parent = id === undefined ? undefined : byId.get(id);
    if (parent === undefined || closesCycle(node, parent)) {
      roots.push(node);
    } else {
      parent.children.push(node);
      parentOf.set(node, parent);
    }
  }
  return roots;
}
