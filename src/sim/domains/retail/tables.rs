//! The retailer's tables: what its systems export (raw) and what the simulator knows (truth).

use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const STORES: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_stores",
    kind: Kind::Current,
    description: "UXFSI's shops as the store system lists them today: the web shop (701) and the physical stores. A new manager replaces the row.",
    columns: &[
        col(
            "store_id",
            SqlType::Int,
            "Store id, 701 upwards; 701 is the web shop.",
        ),
        col("store_name", SqlType::Text, "Store name."),
        col(
            "store_format",
            SqlType::Text,
            "online, superstore, high_street or express.",
        ),
        col(
            "district_id",
            SqlType::Int,
            "The district the store is in; null for the web shop.",
        ),
        col(
            "opened_day",
            SqlType::Int,
            "The day the store opened (negative: before 20100101).",
        ),
        col(
            "manager_ux_id",
            SqlType::Int,
            "The manager's ux_id (a UXFSI worker in the census).",
        ),
        col(
            "open_minute",
            SqlType::Int,
            "Opening time, minutes after midnight.",
        ),
        col(
            "close_minute",
            SqlType::Int,
            "Closing time, minutes after midnight.",
        ),
        col(
            "tax_rate_bp",
            SqlType::Int,
            "Sales tax in basis points (2000 = 20%).",
        ),
        col("status", SqlType::Text, "open."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const PRODUCTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_products",
    kind: Kind::Current,
    description: "The product catalogue today; a price change replaces the row.",
    columns: &[
        col("product_id", SqlType::Int, "Product id, 801–900."),
        col("sku", SqlType::Text, "Stock keeping unit, `CAT-nnn`."),
        col("product_name", SqlType::Text, "Canonical product name."),
        col(
            "category",
            SqlType::Text,
            "One of eight categories (Groceries, Bakery, Household...).",
        ),
        col(
            "list_price_cents",
            SqlType::Int,
            "Current list price, cents, tax excluded.",
        ),
        col(
            "updated_day",
            SqlType::Int,
            "The day this price took effect.",
        ),
    ],
};

pub const CUSTOMERS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_customers",
    kind: Kind::Current,
    description: "Loyalty-programme customers today, drawn from the inhabitants. Tier reviews (each quarter), churn and deaths replace the row; churned and deceased customers keep their last row.",
    columns: &[
        col("customer_id", SqlType::Int, "Customer id, 4000001 upwards."),
        col("ux_id", SqlType::Int, "The inhabitant (census ux_id)."),
        col(
            "email",
            SqlType::Text,
            "Contact e-mail, `first.last.n@mail.ux`.",
        ),
        col(
            "home_store_id",
            SqlType::Int,
            "The physical store the customer mostly visits.",
        ),
        col(
            "loyalty_tier",
            SqlType::Text,
            "bronze, silver or gold, reviewed on the last day of each quarter from that quarter's spend.",
        ),
        col(
            "signup_day",
            SqlType::Int,
            "The day the customer joined (negative: before 20100101).",
        ),
        col("status", SqlType::Text, "active, churned or deceased."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const ORDERS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_orders",
    kind: Kind::Events,
    description: "Orders from the tills and the web shop. Some arrive one or two days late, some twice (deduplicate on order_id); an order's lines and payment arrive with it.",
    columns: &[
        col("order_id", SqlType::BigInt, "Order id, 50000001 upwards."),
        col("customer_id", SqlType::Int, "The customer."),
        col("store_id", SqlType::Int, "The store (701 for web orders)."),
        col("channel", SqlType::Text, "store or web."),
        col(
            "ordered_at",
            SqlType::Timestamp,
            "When the order was placed (UTC, proxy timeline).",
        ),
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day of the order.",
        ),
        col("line_count", SqlType::Int, "Number of order lines."),
        col(
            "subtotal_cents",
            SqlType::BigInt,
            "Sum of the line totals, tax excluded.",
        ),
        col("tax_cents", SqlType::BigInt, "Sales tax."),
        col(
            "total_cents",
            SqlType::BigInt,
            "subtotal_cents + tax_cents.",
        ),
    ],
};

pub const ORDER_LINES: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_order_lines",
    kind: Kind::Events,
    description: "Order lines, delivered with their order (late and duplicated with it). The product name is as the till or web shop typed it: spelling and casing vary.",
    columns: &[
        col(
            "order_line_id",
            SqlType::BigInt,
            "Order line id, 100000001 upwards.",
        ),
        col("order_id", SqlType::BigInt, "The order."),
        col("line_no", SqlType::Int, "Position in the order, from 1."),
        col("product_id", SqlType::Int, "The product."),
        col(
            "product_name",
            SqlType::Text,
            "The product name as typed: `Oat Milk`, `oat_milk`, `OAT MILK`...",
        ),
        col("quantity", SqlType::Int, "Units bought."),
        col(
            "unit_price_cents",
            SqlType::Int,
            "List price on the order day, cents, tax excluded.",
        ),
        col(
            "line_total_cents",
            SqlType::BigInt,
            "quantity × unit_price_cents.",
        ),
    ],
};

pub const PAYMENTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_payments",
    kind: Kind::Events,
    description: "One payment per order, delivered with it.",
    columns: &[
        col(
            "payment_id",
            SqlType::BigInt,
            "Payment id, 60000001 upwards.",
        ),
        col("order_id", SqlType::BigInt, "The order paid."),
        col(
            "payment_method",
            SqlType::Text,
            "card, cash, gift_card, mobile or paypal.",
        ),
        col(
            "amount_cents",
            SqlType::BigInt,
            "Amount paid (the order total).",
        ),
        col("paid_at", SqlType::Timestamp, "When the payment cleared."),
    ],
};

pub const RETURNS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_returns",
    kind: Kind::Events,
    description: "Returned items, 2–30 days after the order; clothing and electronics come back most. Late and duplicated like orders.",
    columns: &[
        col("return_id", SqlType::BigInt, "Return id, 70000001 upwards."),
        col("order_id", SqlType::BigInt, "The original order."),
        col("order_line_id", SqlType::BigInt, "The returned line."),
        col("product_id", SqlType::Int, "The product."),
        col(
            "store_id",
            SqlType::Int,
            "Where it was returned (701: by post to the web shop).",
        ),
        col("quantity", SqlType::Int, "Units returned."),
        col("refund_cents", SqlType::BigInt, "Refund, tax excluded."),
        col(
            "returned_at",
            SqlType::Timestamp,
            "When the return was booked.",
        ),
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day of the return.",
        ),
        col(
            "reason",
            SqlType::Text,
            "damaged, wrong_size, not_as_described or changed_mind.",
        ),
    ],
};

pub const DAILY_SALES: Table = Table {
    domain: "retail",
    schema: Schema::Truth,
    name: "retail_daily_sales",
    kind: Kind::Events,
    description: "Clean gross sales per day, store and product (by the day of the order, returns not deducted): what a correct pipeline over the raw orders and lines must reproduce.",
    columns: &[
        col("day_serial", SqlType::Int, "The day of the orders."),
        col("store_id", SqlType::Int, "The store (701 = web shop)."),
        col("product_id", SqlType::Int, "The product."),
        col(
            "orders",
            SqlType::Int,
            "Orders with a line of the product (a product appears once per order).",
        ),
        col("quantity", SqlType::BigInt, "Units sold."),
        col(
            "revenue_cents",
            SqlType::BigInt,
            "Sum of line totals, tax excluded.",
        ),
    ],
};

pub const WEB_SESSIONS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_web_sessions",
    kind: Kind::Events,
    description: "Visits to the web shop, from its analytics: customers signed in and anonymous visitors. Most visits buy nothing; the events of a visit travel with it (late or twice, like it).",
    columns: &[
        col("session_id", SqlType::BigInt, "Session id."),
        col(
            "customer_id",
            SqlType::Int,
            "The signed-in customer; null for an anonymous visitor.",
        ),
        col("started_at", SqlType::Timestamp, "The first page view."),
        col("device", SqlType::Text, "mobile, desktop or tablet."),
        col(
            "referrer",
            SqlType::Text,
            "direct, search, email or social.",
        ),
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day of the session.",
        ),
    ],
};

pub const WEB_EVENTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_web_events",
    kind: Kind::Events,
    description: "What happened in each web session, in order: product views, additions to the cart, checkout and purchase. A product out of stock can be viewed but not added.",
    columns: &[
        col("event_id", SqlType::BigInt, "Event id."),
        col("session_id", SqlType::BigInt, "The session."),
        col("event_at", SqlType::Timestamp, "When it happened."),
        col(
            "event_type",
            SqlType::Text,
            "product_view, add_to_cart, checkout or purchase.",
        ),
        col(
            "product_id",
            SqlType::Int,
            "The product viewed or added; null for checkout and purchase.",
        ),
        col(
            "quantity",
            SqlType::Int,
            "Units added to the cart; null otherwise.",
        ),
        col(
            "order_id",
            SqlType::BigInt,
            "The order a purchase made; null otherwise.",
        ),
        col(
            "in_stock",
            SqlType::Int,
            "On product views: 1 when the product could be bought, 0 when it was out of stock.",
        ),
    ],
};

pub const SHIPMENTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_shipments",
    kind: Kind::Events,
    description: "The carriers' tracking events for web orders: dispatched (with the promised day), a failed delivery attempt now and then, delivered.",
    columns: &[
        col("shipment_id", SqlType::BigInt, "Shipment id."),
        col("order_id", SqlType::BigInt, "The web order."),
        col("carrier", SqlType::Text, "UxPost, SwiftUx or Parcelux."),
        col(
            "status",
            SqlType::Text,
            "dispatched, failed_attempt or delivered.",
        ),
        col(
            "event_at",
            SqlType::Timestamp,
            "When the carrier scanned it.",
        ),
        col("day_serial", SqlType::Int, "The day of the event."),
        col(
            "promised_day",
            SqlType::Int,
            "The day delivery was promised for.",
        ),
    ],
};

pub const INVENTORY: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_inventory",
    kind: Kind::Events,
    description: "The stock count of every product in every store (701: the web shop's warehouse) at closing time, each day.",
    columns: &[
        col("day_serial", SqlType::Int, "The day counted."),
        col("store_id", SqlType::Int, "The store."),
        col("product_id", SqlType::Int, "The product."),
        col("on_hand_units", SqlType::Int, "Units on the shelves."),
        col(
            "on_order_units",
            SqlType::Int,
            "Units ordered from suppliers and not yet received.",
        ),
    ],
};

pub const RESTOCKS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_restocks",
    kind: Kind::Events,
    description: "Replenishment: an `ordered` row when a store orders a product from its supplier (at closing time, when stock runs low), a `received` row when the delivery arrives, usually days later and sometimes much later.",
    columns: &[
        col("restock_id", SqlType::BigInt, "Restock id."),
        col("store_id", SqlType::Int, "The store."),
        col("product_id", SqlType::Int, "The product."),
        col("quantity", SqlType::Int, "Units ordered (and received)."),
        col("event_type", SqlType::Text, "ordered or received."),
        col("day_serial", SqlType::Int, "The day of the event."),
        col(
            "expected_day",
            SqlType::Int,
            "The day the supplier promised delivery for.",
        ),
    ],
};

pub const ACCOUNTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_accounts",
    kind: Kind::Current,
    description: "UXFSI's bank accounts: every loyalty customer has a current account with a debit card, some a credit card. Closing an account replaces the row.",
    columns: &[
        col("account_id", SqlType::Int, "Account id."),
        col("customer_id", SqlType::Int, "The customer."),
        col("account_type", SqlType::Text, "current or credit_card."),
        col("opened_day", SqlType::Int, "The day it was opened."),
        col(
            "credit_limit_cents",
            SqlType::BigInt,
            "A credit card's limit; null for current accounts.",
        ),
        col("status", SqlType::Text, "open or closed."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const CARD_PAYMENTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_card_payments",
    kind: Kind::Events,
    description: "Card payments as the card processor settles them: authorised at the till or web shop, delivered in the settlement file of the next business day (some files late or sent twice).",
    columns: &[
        col("card_payment_id", SqlType::BigInt, "Card payment id."),
        col("account_id", SqlType::Int, "The account charged."),
        col("payment_id", SqlType::BigInt, "The retail payment."),
        col("store_id", SqlType::Int, "The merchant: the store."),
        col("amount_cents", SqlType::BigInt, "Amount charged."),
        col(
            "authorised_at",
            SqlType::Timestamp,
            "When it was authorised.",
        ),
        col("settled_day", SqlType::Int, "The day it was settled."),
    ],
};

pub const LOANS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_loans",
    kind: Kind::Current,
    description: "Personal loans to customers, repaid monthly; a loan ends repaid, defaulted (three missed payments in a row) or written off (the borrower died). The end replaces the row.",
    columns: &[
        col("loan_id", SqlType::Int, "Loan id."),
        col("customer_id", SqlType::Int, "The borrower."),
        col("principal_cents", SqlType::BigInt, "Amount lent."),
        col(
            "annual_rate_bp",
            SqlType::Int,
            "Interest a year, basis points.",
        ),
        col("term_months", SqlType::Int, "Months to repay."),
        col(
            "monthly_payment_cents",
            SqlType::BigInt,
            "The installment due every 30 days.",
        ),
        col("start_day", SqlType::Int, "The day the money was lent."),
        col(
            "status",
            SqlType::Text,
            "active, repaid, defaulted or written_off.",
        ),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const LOAN_PAYMENTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_loan_payments",
    kind: Kind::Events,
    description: "Every installment due: paid, or missed (when the borrower is out of work, more often). Late or twice at times.",
    columns: &[
        col("loan_payment_id", SqlType::BigInt, "Installment id."),
        col("loan_id", SqlType::Int, "The loan."),
        col("due_day", SqlType::Int, "The day it was due."),
        col("status", SqlType::Text, "paid or missed."),
        col(
            "amount_cents",
            SqlType::BigInt,
            "Amount paid (0 when missed).",
        ),
        col("interest_cents", SqlType::BigInt, "Of which interest."),
        col("principal_cents", SqlType::BigInt, "Of which principal."),
        col(
            "balance_cents",
            SqlType::BigInt,
            "What is owed after the installment.",
        ),
    ],
};

pub const WEB_DAILY: Table = Table {
    domain: "retail",
    schema: Schema::Truth,
    name: "retail_web_daily",
    kind: Kind::Events,
    description: "The web shop's funnel per day: sessions, sessions that added to the cart, reached checkout and bought.",
    columns: &[
        col("day_serial", SqlType::Int, "The day."),
        col("sessions", SqlType::Int, "Sessions started."),
        col(
            "carts",
            SqlType::Int,
            "Sessions with an addition to the cart.",
        ),
        col("checkouts", SqlType::Int, "Sessions that reached checkout."),
        col("orders", SqlType::Int, "Sessions that bought."),
    ],
};

pub const STOCKOUTS: Table = Table {
    domain: "retail",
    schema: Schema::Truth,
    name: "retail_stockouts",
    kind: Kind::Events,
    description: "Demand the shelves could not meet, per day, store and product: units customers wanted and did not get (after trying a substitute).",
    columns: &[
        col("day_serial", SqlType::Int, "The day."),
        col("store_id", SqlType::Int, "The store."),
        col("product_id", SqlType::Int, "The product wanted."),
        col(
            "lost_units",
            SqlType::Int,
            "Units not sold for want of stock.",
        ),
    ],
};

pub const LOANS_MONTHLY: Table = Table {
    domain: "retail",
    schema: Schema::Truth,
    name: "retail_loans_monthly",
    kind: Kind::Events,
    description: "The loan book at the end of each month (written on its 30th): loans active and owed, and the month's new, repaid and defaulted loans.",
    columns: &[
        col("ux_month", SqlType::Int, "The month, `yyyymm`."),
        col(
            "active_loans",
            SqlType::Int,
            "Loans active at the month's end.",
        ),
        col("balance_cents", SqlType::BigInt, "What they owe."),
        col("originated", SqlType::Int, "Loans made in the month."),
        col("repaid", SqlType::Int, "Loans repaid in full in the month."),
        col("defaulted", SqlType::Int, "Loans defaulted in the month."),
        col(
            "defaulted_cents",
            SqlType::BigInt,
            "What the defaulted loans still owed.",
        ),
    ],
};

pub const TABLES: &[&Table] = &[
    &STORES,
    &PRODUCTS,
    &CUSTOMERS,
    &ORDERS,
    &ORDER_LINES,
    &PAYMENTS,
    &RETURNS,
    &WEB_SESSIONS,
    &WEB_EVENTS,
    &SHIPMENTS,
    &INVENTORY,
    &RESTOCKS,
    &ACCOUNTS,
    &CARD_PAYMENTS,
    &LOANS,
    &LOAN_PAYMENTS,
    &DAILY_SALES,
    &WEB_DAILY,
    &STOCKOUTS,
    &LOANS_MONTHLY,
];
