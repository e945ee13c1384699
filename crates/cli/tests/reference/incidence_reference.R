# Reference values for `oncodata incidence` on files, from R (R 4.2, Debian r-base-core and
# r-cran-epitools): a small synthetic data set made here (fixed seed), then
# - crude rate and exact interval: poisson.test;
# - age-standardised rate and Fay-Feuer gamma interval: epitools::ageadjust.direct;
# - Tiwari et al. (2006) interval: the published formula (asht::wspoissonTest "tcz"), written
#   out here with qgamma;
# - cumulative rate and risk 0-74: 5 * sum(c/P) and 1 - exp(-cumulative rate).
# Run from this directory:  Rscript incidence_reference.R
library(epitools)
g17 <- function(x) sprintf("%.17g", x)
set.seed(20241)
groups <- c(paste0(seq(0, 80, 5), "-", seq(4, 84, 5)), "85+")
world <- c(12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000, 5000, 4000, 4000, 3000, 2000, 1000, 500, 500)
pop <- expand.grid(age_group = groups, sex = c("male", "female"), stringsAsFactors = FALSE)
pop$person_years <- round(runif(nrow(pop), 20000, 60000) * ifelse(seq_along(groups) > 15, 0.4, 1))
write.csv(pop[, c("sex", "age_group", "person_years")], "incidence_population.csv", row.names = FALSE, quote = FALSE)
# Individual cases with ages in years, rates rising with age; one site with an empty young group.
cases <- NULL
for (site in c("colorectum", "lung")) for (sex in c("male", "female")) for (i in seq_along(groups)) {
  py <- pop$person_years[pop$sex == sex & pop$age_group == groups[i]]
  rate <- 1e-6 * exp(0.09 * 5 * i) * ifelse(site == "lung", 1.3, 1) * ifelse(sex == "male", 1.4, 1)
  n <- rpois(1, py * rate)
  if (n > 0) cases <- rbind(cases, data.frame(site_group = site, sex = sex, age = 5 * (i - 1) + sample(0:4, n, TRUE)))
}
write.csv(cases, "incidence_cases.csv", row.names = FALSE, quote = FALSE)

out <- NULL
for (site in c("colorectum", "lung")) for (sex in c("female", "male")) {
  sel <- cases[cases$site_group == site & cases$sex == sex, ]
  count <- sapply(seq_along(groups), function(i) sum(pmin(sel$age %/% 5 + 1, 18) == i))
  py <- sapply(groups, function(g) pop$person_years[pop$sex == sex & pop$age_group == g])
  ff <- ageadjust.direct(count, py, stdpop = world)
  w <- world / sum(world) / py
  y <- sum(w * count); v <- sum(w^2 * count)
  ys <- y + mean(w); vs <- v + mean(w^2)
  tiwari_upper <- qgamma(0.975, shape = ys^2 / vs, scale = vs / ys)
  ci <- poisson.test(sum(count))$conf.int
  cum <- 5 * sum(count[1:15] / py[1:15])
  out <- rbind(out, data.frame(site_group = site, sex = sex, cases = sum(count), person_years = sum(py),
    crude_rate = g17(1e5 * sum(count) / sum(py)), crude_lower = g17(1e5 * ci[1] / sum(py)), crude_upper = g17(1e5 * ci[2] / sum(py)),
    asr = g17(1e5 * ff[["adj.rate"]]), asr_lower = g17(1e5 * ff[["lci"]]), ff_upper = g17(1e5 * ff[["uci"]]),
    tiwari_upper = g17(1e5 * tiwari_upper), asr_se = g17(1e5 * sqrt(v)),
    cum_rate_0_74 = g17(100 * cum), cum_risk_0_74 = g17(100 * (1 - exp(-cum)))))
}
write.csv(out, "incidence_reference.csv", row.names = FALSE, quote = FALSE)

# Standardised incidence ratios against reference rates by sex and age group (per 100,000):
# expected = sum(rate * person_years) / 1e5, interval poisson.test(O, T = E).
ref <- expand.grid(age_group = groups, sex = c("male", "female"), stringsAsFactors = FALSE)
ref$rate <- round(0.1 * exp(0.09 * 5 * match(ref$age_group, groups)) * ifelse(ref$sex == "male", 1.2, 1), 3)
write.csv(ref[, c("sex", "age_group", "rate")], "incidence_reference_rates.csv", row.names = FALSE, quote = FALSE)
sir <- NULL
for (site in c("colorectum", "lung")) for (sex in c("female", "male")) {
  sel <- cases[cases$site_group == site & cases$sex == sex, ]
  O <- nrow(sel)
  E <- sum(sapply(groups, function(g) ref$rate[ref$sex == sex & ref$age_group == g] *
                                      pop$person_years[pop$sex == sex & pop$age_group == g])) / 1e5
  ci <- poisson.test(O, T = E)$conf.int
  sir <- rbind(sir, data.frame(site_group = site, sex = sex, expected = g17(E), sir = g17(O / E),
                               sir_lower = g17(ci[1]), sir_upper = g17(ci[2])))
}
write.csv(sir, "incidence_sir_reference.csv", row.names = FALSE, quote = FALSE)

# Rate ratio male/female of the world ASRs, test-based interval (CanReg5 / Rcan CalcSRR):
# SRR = ASR1/ASR2, chi = (ASR1 - ASR2)/sqrt(var1 + var2), SRR^(1 -/+ z/chi).
rr <- NULL
for (site in c("colorectum", "lung")) {
  m <- out[out$site_group == site & out$sex == "male", ]; f <- out[out$site_group == site & out$sex == "female", ]
  a1 <- as.numeric(m$asr); a2 <- as.numeric(f$asr); s1 <- as.numeric(m$asr_se); s2 <- as.numeric(f$asr_se)
  srr <- a1 / a2; chi <- (a1 - a2) / sqrt(s1^2 + s2^2); z <- qnorm(0.975)
  lim <- sort(srr^(1 + c(-1, 1) * z / chi))
  rr <- rbind(rr, data.frame(site_group = site, sex = "male", rate_ratio = g17(srr), rr_lower = g17(lim[1]), rr_upper = g17(lim[2])))
}
write.csv(rr, "incidence_rr_reference.csv", row.names = FALSE, quote = FALSE)
