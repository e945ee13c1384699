# Reference values for oncodata-stats' distributions: gamma quantiles and exact Poisson
# intervals, from R's qgamma and poisson.test, written with 17 significant digits.
# Run from this directory:  Rscript distributions.R   (R 4.2, Debian r-base-core)
g17 <- function(x) sprintf("%.17g", x)
q <- expand.grid(p = c(0.025, 0.5, 0.975), shape = c(0.05, 0.5, 1, 2.5, 6, 7, 100, 1000.5))
q$quantile <- g17(qgamma(q$p, shape = q$shape))
write.csv(q, "gamma_quantiles.csv", row.names = FALSE, quote = FALSE)
x <- c(0, 1, 2, 6, 10, 30, 100, 1000, 12345)
ci <- t(sapply(x, function(k) poisson.test(k, conf.level = 0.95)$conf.int))
write.csv(data.frame(count = x, lower = g17(ci[, 1]), upper = g17(ci[, 2])),
          "poisson_exact.csv", row.names = FALSE, quote = FALSE)
