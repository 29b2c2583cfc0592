//! Column lineage as a table of SQL cases: each row is a statement and the lineage expected,
//! one `column <- sources` line per output column, or `error: <part of the reason>`.

use super::{Table, analyse};

/// `orders` and `customers` have catalogued columns; `raw.payments` is a source whose columns
/// are unknown.
fn resolve(parts: &[String]) -> Option<Table> {
    let known = |id: &str, columns: &[&str]| Table {
        id: id.into(),
        columns: Some(columns.iter().map(|c| c.to_string()).collect()),
    };
    match parts.last().map(String::as_str) {
        Some("orders") => Some(known(
            "model.t.orders",
            &["id", "customer_id", "amount", "ordered_at"],
        )),
        Some("customers") => Some(known(
            "model.t.customers",
            &["id", "first_name", "last_name"],
        )),
        Some("payments") => Some(Table {
            id: "source.t.raw.payments".into(),
            columns: None,
        }),
        _ => None,
    }
}

const CASES: &[(&str, &str, &str)] = &[
    (
        "plain columns and an alias",
        "select id, amount as total from main.orders",
        "id <- model.t.orders.id
         total <- model.t.orders.amount",
    ),
    (
        "a chain of CTEs",
        "with a as (select id, amount * 100 as cents from orders),
              b as (select id as order_id, cents from a)
         select order_id, cents / 100 as amount from b",
        "order_id <- model.t.orders.id
         amount <- model.t.orders.amount",
    ),
    (
        "a join with table aliases",
        "select o.id, c.first_name || ' ' || c.last_name as full_name
         from orders o join customers as c on c.id = o.customer_id",
        "id <- model.t.orders.id
         full_name <- model.t.customers.first_name, model.t.customers.last_name",
    ),
    (
        "select * expanded from the catalog, with exclude",
        "select * exclude (ordered_at) from orders",
        "id <- model.t.orders.id
         customer_id <- model.t.orders.customer_id
         amount <- model.t.orders.amount",
    ),
    (
        "a qualified star over a join",
        "select c.*, o.amount from orders o left join customers c on c.id = o.customer_id",
        "id <- model.t.customers.id
         first_name <- model.t.customers.first_name
         last_name <- model.t.customers.last_name
         amount <- model.t.orders.amount",
    ),
    (
        "a star through a CTE",
        "with x as (select id, amount from orders) select * from x",
        "id <- model.t.orders.id
         amount <- model.t.orders.amount",
    ),
    (
        "a window function reads its partition and order columns",
        "select id, sum(amount) over (partition by customer_id order by ordered_at) as running
         from orders",
        "id <- model.t.orders.id
         running <- model.t.orders.amount, model.t.orders.customer_id, model.t.orders.ordered_at",
    ),
    (
        "case, and a constant",
        "select case when amount > 100 then 'big' else first_name end as label, 1 as one
         from orders join customers on customers.id = orders.customer_id",
        "label <- model.t.customers.first_name, model.t.orders.amount
         one <-",
    ),
    (
        "an aggregate with group by",
        "select customer_id, count(*) as orders, sum(amount) from orders group by 1",
        "customer_id <- model.t.orders.customer_id
         orders <-
         sum <- model.t.orders.amount",
    ),
    (
        "union all merges both sides by position",
        "select id, amount from orders union all select id, null from customers",
        "id <- model.t.customers.id, model.t.orders.id
         amount <- model.t.orders.amount",
    ),
    (
        "a subquery in from",
        "select s.total from (select customer_id, sum(amount) as total from orders group by 1) s",
        "total <- model.t.orders.amount",
    ),
    (
        "a scalar subquery in the select list",
        "select id, (select max(amount) from orders) as top from customers",
        "id <- model.t.customers.id
         top <- model.t.orders.amount",
    ),
    (
        "a source with unknown columns, qualified and not",
        "select p.payment_id, amount from raw.payments p",
        "payment_id <- source.t.raw.payments.payment_id
         amount <- source.t.raw.payments.amount",
    ),
    (
        "quoted and mixed-case names",
        r#"select "O"."Amount" as "Total" from "main"."orders" as "O""#,
        "Total <- model.t.orders.amount",
    ),
    (
        "a cast keeps the column name",
        "select amount::decimal(12, 2) from orders",
        "amount <- model.t.orders.amount",
    ),
    (
        "a table function's columns have no source",
        "select d.day from generate_series(1, 3) as d(day)",
        "day <-",
    ),
    (
        "a relation outside the project is named as written",
        "select x.a from other.thing x",
        "a <- other.thing.a",
    ),
    (
        "star over a relation of unknown columns",
        "select * from raw.payments",
        "error: whose columns are unknown",
    ),
    (
        "a column no relation has",
        "select nope from orders",
        "error: column `nope` is in none of the relations",
    ),
    (
        "a column missing from its qualifier",
        "select o.nope from orders o",
        "error: is not a column of `o`",
    ),
    (
        "not a select",
        "create table x as select 1",
        "error: not a `select`",
    ),
    (
        "unparseable SQL",
        "select from where",
        "error: could not be parsed",
    ),
];

fn render(sql: &str) -> String {
    match analyse(sql, &resolve) {
        Ok(columns) => columns
            .iter()
            .map(|column| {
                let sources: Vec<String> = column
                    .sources
                    .iter()
                    .map(|s| format!("{}.{}", s.relation, s.column))
                    .collect();
                format!("{} <- {}", column.name, sources.join(", "))
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Err(reason) => format!("error: {reason}"),
    }
}

#[test]
fn column_lineage_cases() {
    let mut failures = Vec::new();
    for (name, sql, expected) in CASES {
        let got = render(sql);
        let expected: Vec<&str> = expected.lines().map(str::trim).collect();
        let matches = match expected.as_slice() {
            [error] if error.starts_with("error: ") => {
                got.starts_with("error: ") && got.contains(&error["error: ".len()..])
            }
            lines => got == lines.join("\n"),
        };
        if !matches {
            failures.push(format!(
                "case `{name}`\n  expected:\n    {}\n  got:\n    {}",
                expected.join("\n    "),
                got.replace('\n', "\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
