//! What a user's query returns, read from its logical plan rather than guessed from its text:
//! whether its rows are groups (an aggregate) or records, and for each column whether it is a
//! grouping column, a count, another aggregate or something computed from them. Disclosure
//! control needs it: a count of persons by groups can be protected cell by cell; records cannot
//! be published at all.

use datafusion::logical_expr::{Expr, LogicalPlan};

/// What one column of a result is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRole {
    /// A `GROUP BY` column: the `index`-th grouping expression.
    Group {
        /// Its place among the grouping expressions.
        index: usize,
    },
    /// `COUNT(…)` (`distinct` for `COUNT(DISTINCT …)`).
    Count {
        /// Whether it counts distinct values.
        distinct: bool,
        /// Its place among the aggregate expressions.
        aggregate: usize,
    },
    /// Another aggregate (`SUM`, `AVG`, …).
    Aggregate {
        /// The function's name, lower case (`sum`, `avg`…).
        function: String,
        /// Its place among the aggregate expressions.
        aggregate: usize,
    },
    /// An expression of the groups and aggregates (`count(*) * 100.0 / 5`), or a record's value.
    Computed,
}

/// The shape of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultShape {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Each column's role.
    pub roles: Vec<ColumnRole>,
    /// Whether the rows are groups of an aggregate (`GROUP BY`, or an aggregate over all rows).
    pub aggregate: bool,
    /// Whether the aggregate has grouping sets (`ROLLUP`, `CUBE`, `GROUPING SETS`): margins mixed
    /// with the rows.
    pub grouping_sets: bool,
}

/// Reads the shape of a plan: each output column is traced down through projections, sorts,
/// limits, filters (`HAVING`) and aliases to the aggregate that makes it, if any.
pub(crate) fn shape_of(plan: &LogicalPlan) -> ResultShape {
    let columns: Vec<String> = plan.schema().fields().iter().map(|f| f.name().clone()).collect();
    let aggregate = find_aggregate(plan);
    let grouping_sets = aggregate.is_some_and(|a| a.group_expr.iter().any(|e| matches!(e, Expr::GroupingSet(_))));
    let roles = (0..columns.len()).map(|i| trace(plan, i)).collect();
    ResultShape { columns, roles, aggregate: aggregate.is_some(), grouping_sets }
}

/// The aggregate at the top of the plan, under the nodes that keep its rows as groups.
fn find_aggregate(plan: &LogicalPlan) -> Option<&datafusion::logical_expr::Aggregate> {
    match plan {
        LogicalPlan::Aggregate(a) => Some(a),
        LogicalPlan::Projection(p) => find_aggregate(&p.input),
        LogicalPlan::Sort(s) => find_aggregate(&s.input),
        LogicalPlan::Limit(l) => find_aggregate(&l.input),
        LogicalPlan::Filter(f) => find_aggregate(&f.input),
        LogicalPlan::SubqueryAlias(s) => find_aggregate(&s.input),
        _ => None,
    }
}

/// The role of output column `i` of `plan`.
fn trace(plan: &LogicalPlan, i: usize) -> ColumnRole {
    match plan {
        LogicalPlan::Projection(p) => match unalias(&p.expr[i]) {
            Expr::Column(c) => match p.input.schema().maybe_index_of_column(c) {
                Some(j) => trace(&p.input, j),
                None => ColumnRole::Computed,
            },
            _ => ColumnRole::Computed,
        },
        LogicalPlan::Sort(s) => trace(&s.input, i),
        LogicalPlan::Limit(l) => trace(&l.input, i),
        LogicalPlan::Filter(f) => trace(&f.input, i),
        LogicalPlan::SubqueryAlias(s) => trace(&s.input, i),
        LogicalPlan::Aggregate(a) => {
            let groups = a.schema.fields().len() - a.aggr_expr.len();
            if i < groups {
                ColumnRole::Group { index: i }
            } else {
                match unalias(&a.aggr_expr[i - groups]) {
                    Expr::AggregateFunction(f) if f.func.name().eq_ignore_ascii_case("count") => {
                        ColumnRole::Count { distinct: f.params.distinct, aggregate: i - groups }
                    }
                    Expr::AggregateFunction(f) => {
                        ColumnRole::Aggregate { function: f.func.name().to_ascii_lowercase(), aggregate: i - groups }
                    }
                    _ => ColumnRole::Computed,
                }
            }
        }
        _ => ColumnRole::Computed,
    }
}

/// The plan of what a count counts: for each row of the aggregate's input that the count
/// counts (its own `FILTER` applied, NULLs left out), the grouping values and the counted value,
/// distinct; with `value_of`, every such row with the argument of that other aggregate too (what
/// the row contributes to it). `COUNT(*)` counts rows, which have no identity: an error saying to count persons.
pub(crate) fn members_plan(
    plan: &LogicalPlan,
    aggregate: usize,
    value_of: Option<usize>,
) -> Result<LogicalPlan, String> {
    use datafusion::logical_expr::LogicalPlanBuilder;
    let a = find_aggregate(plan).ok_or("the statement is not an aggregate")?;
    let Expr::AggregateFunction(f) = unalias(&a.aggr_expr[aggregate]) else {
        return Err("not a COUNT".into());
    };
    let arg = match f.params.args.first() {
        Some(Expr::Literal(..)) | None => {
            return Err("COUNT(*) counts rows, which cannot be compared between releases: count persons, \
                        COUNT(DISTINCT patient_id)"
                .into());
        }
        Some(arg) => arg.clone(),
    };
    let mut builder = LogicalPlanBuilder::new_from_arc(a.input.clone());
    if let Some(filter) = &f.params.filter {
        builder = builder.filter((**filter).clone()).map_err(|e| e.to_string())?;
    }
    let mut columns: Vec<Expr> =
        a.group_expr.iter().enumerate().map(|(i, g)| g.clone().alias(format!("__group_{i}"))).collect();
    columns.push(arg.clone().alias("__member"));
    let builder = builder.filter(arg.is_not_null()).map_err(|e| e.to_string())?;
    match value_of {
        // What each counted value contributes to another aggregate: its argument, row by row.
        Some(k) => {
            let Expr::AggregateFunction(g) = unalias(&a.aggr_expr[k]) else {
                return Err("not an aggregate function".into());
            };
            let value = g.params.args.first().cloned().ok_or("an aggregate without argument")?;
            columns.push(
                datafusion::logical_expr::cast(value, datafusion::arrow::datatypes::DataType::Float64).alias("__value"),
            );
            builder.project(columns).and_then(|b| b.build()).map_err(|e| e.to_string())
        }
        None => builder.project(columns).and_then(|b| b.distinct()).and_then(|b| b.build()).map_err(|e| e.to_string()),
    }
}

fn unalias(e: &Expr) -> &Expr {
    match e {
        Expr::Alias(a) => unalias(&a.expr),
        e => e,
    }
}
