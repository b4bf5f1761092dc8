import { useEffect, useMemo, useState } from "react";
import { formatMoney, formatRelative } from "../lib/format";
import { fetchJson, HttpError } from "../lib/http";
import { Spinner } from "./Spinner";

export interface OrderSummary {
  id: string;
  placedAt: string; // ISO 8601
  status: "pending" | "paid" | "shipped" | "delivered" | "refunded";
  total: { amount: number; currency: string };
  items: number;
}

interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

type SortKey = "placedAt" | "total";

const STATUS_LABELS: Record<OrderSummary["status"], string> = {
  pending: "Awaiting payment",
  paid: "Paid",
  shipped: "On its way",
  delivered: "Delivered",
  refunded: "Refunded",
};

export function OrderHistory({ customerId, pageSize = 20 }: { customerId: string; pageSize?: number }) {
  const [orders, setOrders] = useState<OrderSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: "placedAt", descending: true });

  async function loadMore(after: string | null) {
    setLoading(true);
    setError(null);
    try {
      const params = new URLSearchParams({ limit: String(pageSize) });
      if (after) params.set("cursor", after);
      const page = await fetchJson<Page<OrderSummary>>(`/api/customers/${customerId}/orders?${params}`);
      setOrders((previous) => (after ? [...previous, ...page.data] : page.data));
      setCursor(page.nextCursor);
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) {
        setError("We couldn't find this customer.");
      } else {
        setError("Something went wrong while loading orders. Please try again.");
        console.error(e);
      }
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    setOrders([]);
    void loadMore(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [customerId, pageSize]);

  const sorted = useMemo(() => {
    const copy = [...orders];
    copy.sort((a, b) => {
      const left = sort.key === "total" ? a.total.amount : Date.parse(a.placedAt);
      const right = sort.key === "total" ? b.total.amount : Date.parse(b.placedAt);
      return sort.descending ? right - left : left - right;
    });
    return copy;
  }, [orders, sort]);

  const toggle = (key: SortKey) =>
    setSort((current) => ({ key, descending: current.key === key ? !current.descending : true }));

  if (error) {
    return (
      <div role="alert" className="order-history__error">
        <p>{error}</p>
        <button onClick={() => loadMore(null)}>Retry</button>
      </div>
    );
  }

  return (
    <section className="order-history" aria-busy={loading}>
      <table>
        <thead>
          <tr>
            <th>Order</th>
            <th>
              <button onClick={() => toggle("placedAt")} aria-sort={sort.key === "placedAt" ? (sort.descending ? "descending" : "ascending") : "none"}>
                Placed
              </button>
            </th>
            <th>Status</th>
            <th>Items</th>
            <th>
              <button onClick={() => toggle("total")}>Total</button>
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((order) => (
            <tr key={order.id}>
              <td><a href={`/orders/${order.id}`}>#{order.id.slice(-8).toUpperCase()}</a></td>
              <td title={order.placedAt}>{formatRelative(order.placedAt)}</td>
              <td>{STATUS_LABELS[order.status]}</td>
              <td>{order.items}</td>
              <td className="numeric">{formatMoney(order.total.amount, order.total.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {loading && <Spinner label="Loading orders" />}
      {!loading && cursor && <button onClick={() => loadMore(cursor)}>Show more</button>}
      {!loading && orders.length === 0 && <p className="order-history__empty">No orders yet.</p>}
    </section>
  );
}
