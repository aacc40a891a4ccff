/** One line of an order. */
export interface OrderLine {
  /** Stock-keeping unit. */
  sku: string;
  /** Units ordered. */
  qty: number;
}

/**
 * Stand-ins for the inventory, payment and shipping services an order touches. They keep state in memory
 * and fail the way real services do (a transient timeout, a declined card) so the workflow's retries and
 * compensations have something to do.
 */
export class FakeBackends {
  /** Units on hand per warehouse and SKU. */
  readonly stock = new Map<string, Map<string, number>>();
  /** Active reservations by id. */
  readonly reservations = new Map<string, { warehouse: string; lines: OrderLine[] }>();
  /** Captured payments by id (amount in cents). */
  readonly payments = new Map<string, { orderId: string; amountCents: number; refunded: boolean }>();
  private readonly attempts = new Map<string, number>();
  private nextId = 1;

  constructor(warehouses: Record<string, Record<string, number>>) {
    for (const [name, items] of Object.entries(warehouses))
      this.stock.set(name, new Map(Object.entries(items)));
  }

  /** Counts calls per key so a service can fail its first call (a transient fault). */
  attempt(key: string): number {
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }

  /** Whether `warehouse` can ship every line. */
  canFulfil(warehouse: string, lines: OrderLine[]): boolean {
    const shelf = this.stock.get(warehouse);
    if (shelf === undefined) throw new Error(`unknown warehouse '${warehouse}'`);
    return lines.every((l) => (shelf.get(l.sku) ?? 0) >= l.qty);
  }

  /** Takes the lines off the shelf; returns the reservation id. */
  reserve(warehouse: string, lines: OrderLine[]): string {
    if (!this.canFulfil(warehouse, lines)) throw new Error(`warehouse '${warehouse}' is out of stock`);
    const shelf = this.stock.get(warehouse)!;
    for (const l of lines) shelf.set(l.sku, (shelf.get(l.sku) ?? 0) - l.qty);
    const id = `rsv-${this.nextId++}`;
    this.reservations.set(id, { warehouse, lines });
    return id;
  }

  /** Puts a reservation back on the shelf (idempotent). */
  release(reservationId: string): boolean {
    const r = this.reservations.get(reservationId);
    if (r === undefined) return false;
    const shelf = this.stock.get(r.warehouse)!;
    for (const l of r.lines) shelf.set(l.sku, (shelf.get(l.sku) ?? 0) + l.qty);
    this.reservations.delete(reservationId);
    return true;
  }

  /** Captures a payment; returns its id. */
  charge(orderId: string, amountCents: number): string {
    const id = `pay-${this.nextId++}`;
    this.payments.set(id, { orderId, amountCents, refunded: false });
    return id;
  }

  /** Refunds a captured payment (idempotent). */
  refund(paymentId: string): boolean {
    const p = this.payments.get(paymentId);
    if (p === undefined || p.refunded) return false;
    p.refunded = true;
    return true;
  }
}

/** The default stock of the sample's three warehouses. */
export function defaultBackends(): FakeBackends {
  return new FakeBackends({
    east: { widget: 2, gadget: 0 },
    central: { widget: 50, gadget: 50 },
    west: { widget: 10, gadget: 3 },
  });
}
