# Reference values for oncodata-stats' relative (Ederer II) and net (Pohar-Perme) survival,
# from R's relsurv package (Debian r-cran-relsurv) on its own data: `rdata` (1,040 Slovenian
# patients) with the Slovenian population rate table `slopop`.
# Run from this directory:  Rscript relsurv_reference.R
# Writes: rdata.csv (time in days, status, age in years, sex 1/2, diagnosis date),
# slopop.csv (the rate table as age,sex,year,hazard per day), and
# rs_<method>_<grouping>_<conf.type>.csv: the rs.surv table (std_err is relsurv's, on the
# cumulative-hazard scale).
library(relsurv)
g17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
data(rdata); data(slopop)

out <- data.frame(time = rdata$time, status = rdata$cens, age = rdata$age, sex = rdata$sex,
                  date = format(as.Date(as.numeric(rdata$year), origin = "1960-01-01")))
write.csv(out, "rdata.csv", row.names = FALSE, quote = FALSE)

cuts <- attributes(slopop)$cutpoints
years <- format(as.Date(as.numeric(cuts[[2]]), origin = "1960-01-01"), "%Y")
stopifnot(all(format(as.Date(as.numeric(cuts[[2]]), origin = "1960-01-01"), "%m-%d") == "01-01"))
stopifnot(all(abs(cuts[[1]] - 365.241 * (seq_along(cuts[[1]]) - 1)) < 1e-9))
rt <- expand.grid(age = seq_along(cuts[[1]]) - 1, year = seq_along(years), sex = 1:2)
rt$hazard <- g17(slopop[cbind(rt$age + 1, rt$year, rt$sex)])
rt$year <- years[rt$year]
write.csv(rt[, c("age", "sex", "year", "hazard")], "slopop.csv", row.names = FALSE, quote = FALSE)

run <- function(formula, method, conf.type, name) {
  fit <- rs.surv(formula, data = rdata, ratetable = slopop, method = method, conf.type = conf.type,
                 rmap = list(age = age * 365.241, sex = sex, year = year))
  group <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    rep(sub(".*=", "", names(fit$strata)), fit$strata)
  write.csv(data.frame(group = group, time = g17(fit$time), n_risk = fit$n.risk, n_event = fit$n.event,
                       n_censor = fit$n.censor, surv = g17(fit$surv), std_err = g17(fit$std.err),
                       lower = g17(fit$lower), upper = g17(fit$upper)),
            paste0("rs_", name, ".csv"), row.names = FALSE, quote = FALSE)
}
for (ct in c("log", "log-log", "plain")) {
  run(Surv(time, cens) ~ 1, "pohar-perme", ct, paste0("pohar-perme_all_", ct))
}
run(Surv(time, cens) ~ sex, "pohar-perme", "log", "pohar-perme_sex_log")
run(Surv(time, cens) ~ 1, "ederer2", "log", "ederer2_all_log")
run(Surv(time, cens) ~ sex, "ederer2", "log", "ederer2_sex_log")
