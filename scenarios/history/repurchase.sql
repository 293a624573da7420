-- One row per customer who bought in 2025: repeat_buyer = 1 if they bought at least twice.
-- Relative paths are looked up beside the scenario and beside this query.
SELECT customer_id,
       any_value(segment) AS segment,
       1 AS buyer,
       CASE WHEN count(*) >= 2 THEN 1 ELSE 0 END AS repeat_buyer
FROM 'sales.csv'
WHERE status = '成交'
GROUP BY customer_id
