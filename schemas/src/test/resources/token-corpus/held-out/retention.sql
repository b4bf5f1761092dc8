-- Monthly cohort retention: of the customers whose first paid order was in month M,
-- the share who ordered again in each of the following twelve months.
WITH first_orders AS (
    SELECT customer_id,
           date_trunc('month', min(placed_at))::date AS cohort_month
      FROM orders
     WHERE status IN ('paid', 'shipped', 'delivered')
     GROUP BY customer_id
),
activity AS (
    SELECT DISTINCT o.customer_id,
           date_trunc('month', o.placed_at)::date AS active_month
      FROM orders o
     WHERE o.status IN ('paid', 'shipped', 'delivered')
),
cohort_activity AS (
    SELECT f.cohort_month,
           (extract(year FROM age(a.active_month, f.cohort_month)) * 12
              + extract(month FROM age(a.active_month, f.cohort_month)))::int AS month_offset,
           count(*) AS active_customers
      FROM first_orders f
      JOIN activity a ON a.customer_id = f.customer_id
     GROUP BY 1, 2
),
cohort_size AS (
    SELECT cohort_month, count(*) AS customers
      FROM first_orders
     GROUP BY cohort_month
)
SELECT c.cohort_month,
       s.customers,
       c.month_offset,
       c.active_customers,
       round(100.0 * c.active_customers / s.customers, 1) AS retention_pct
  FROM cohort_activity c
  JOIN cohort_size s USING (cohort_month)
 WHERE c.month_offset BETWEEN 0 AND 12
   AND c.cohort_month >= date '2024-01-01'
 ORDER BY c.cohort_month, c.month_offset;

-- Customers who used a discount code on more than 80% of their orders in the last 90 days
SELECT o.customer_id,
       count(*) AS orders,
       count(*) FILTER (WHERE o.discount_code IS NOT NULL) AS discounted,
       sum(o.discount_amount) AS total_discount
  FROM orders o
 WHERE o.placed_at >= now() - interval '90 days'
 GROUP BY o.customer_id
HAVING count(*) >= 5
   AND count(*) FILTER (WHERE o.discount_code IS NOT NULL) > 0.8 * count(*)
 ORDER BY total_discount DESC
 LIMIT 100;

CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_placed_idx
    ON orders (customer_id, placed_at DESC)
    WHERE status IN ('paid', 'shipped', 'delivered');
