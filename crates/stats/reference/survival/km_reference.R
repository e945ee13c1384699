# Reference values for oncodata-stats' Kaplan-Meier estimator and log-rank test, from R's
# survival package (R 4.2, Debian r-cran-survival) on data sets shipped with it.
# Run from this directory:  Rscript km_reference.R
# Writes: lung.csv, colon.csv (the data), and km_<data>_<grouping>_<conf.type>.csv (the full
# survfit table), median_<...>.csv (medians with their intervals), logrank_<...>.csv (survdiff).
library(survival)
g17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

lung_data <- survival::lung[, c("time", "status", "sex", "age")]
write.csv(lung_data, "lung.csv", row.names = FALSE, quote = FALSE)
# colon: the death records (etype 2), time in days, status 1 = dead.
colon_data <- subset(survival::colon, etype == 2)[, c("time", "status", "rx", "sex", "age")]
write.csv(colon_data, "colon.csv", row.names = FALSE, quote = FALSE)

table_of <- function(fit, name) {
  s <- summary(fit, censored = TRUE)
  group <- if (is.null(s$strata)) rep("all", length(s$time)) else sub(".*=", "", as.character(s$strata))
  out <- data.frame(group = group, time = g17(s$time), n_risk = s$n.risk, n_event = s$n.event,
                    n_censor = s$n.censor, surv = g17(s$surv), std_err = g17(s$std.err),
                    lower = g17(s$lower), upper = g17(s$upper))
  write.csv(out, paste0("km_", name, ".csv"), row.names = FALSE, quote = FALSE)
  q <- quantile(fit, probs = 0.5)
  groups <- if (is.null(fit$strata)) "all" else sub(".*=", "", names(fit$strata))
  med <- data.frame(group = groups, median = g17(as.vector(q$quantile)),
                    lower = g17(as.vector(q$lower)), upper = g17(as.vector(q$upper)))
  write.csv(med, paste0("median_", name, ".csv"), row.names = FALSE, quote = FALSE)
}

for (ct in c("log", "log-log", "plain")) {
  table_of(survfit(Surv(time, status) ~ 1, data = lung_data, conf.type = ct), paste0("lung_all_", ct))
  table_of(survfit(Surv(time, status) ~ sex, data = lung_data, conf.type = ct), paste0("lung_sex_", ct))
  table_of(survfit(Surv(time, status) ~ rx, data = colon_data, conf.type = ct), paste0("colon_rx_", ct))
}
table_of(survfit(Surv(time, status) ~ sex, data = lung_data, conf.int = 0.9), "lung_sex_log_90")

logrank <- function(fit, name) {
  df <- length(fit$n) - 1
  write.csv(data.frame(chisq = g17(fit$chisq), df = df, p = g17(pchisq(fit$chisq, df, lower.tail = FALSE))),
            paste0("logrank_", name, ".csv"), row.names = FALSE, quote = FALSE)
}
logrank(survdiff(Surv(time, status) ~ sex, data = lung_data), "lung_sex")
logrank(survdiff(Surv(time, status) ~ rx, data = colon_data), "colon_rx")

# summary(fit, times = ...): values at chosen times (events and censorings counted since the
# previous chosen time).
at <- function(fit, times, name) {
  s <- summary(fit, times = times)
  group <- if (is.null(s$strata)) rep("all", length(s$time)) else sub(".*=", "", as.character(s$strata))
  write.csv(data.frame(group = group, time = g17(s$time), n_risk = s$n.risk, n_event = s$n.event,
                       n_censor = s$n.censor, surv = g17(s$surv), std_err = g17(s$std.err),
                       lower = g17(s$lower), upper = g17(s$upper)),
            paste0("at_", name, ".csv"), row.names = FALSE, quote = FALSE)
}
at(survfit(Surv(time, status) ~ sex, data = lung_data), c(0, 100, 365.25, 730.5, 1000), "lung_sex")
