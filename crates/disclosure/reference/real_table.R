# A real table of persons for the disclosure tests: the 929 patients of the colon cancer adjuvant
# chemotherapy trial (Moertel et al., NEJM 1990; Laurie et al., JCO 1989) as R's survival package
# ships them (`survival::colon`, LGPL-2 or later), one row per patient (etype 2), counted by
# treatment, sex and extent of local spread (1 submucosa, 2 muscle, 3 serosa, 4 contiguous
# structures). Run: Rscript real_table.R  (R 4.2 with survival, Debian's r-cran-survival)
# Writes: colon_rx_sex_extent.csv (rx, sex, extent, persons; every combination, zeros included).
library(survival)
patients <- survival::colon[survival::colon$etype == 2, ]
stopifnot(nrow(patients) == 929)
patients$sex <- ifelse(patients$sex == 1, "male", "female")
counts <- as.data.frame(table(rx = patients$rx, sex = patients$sex, extent = patients$extent))
names(counts)[4] <- "persons"
write.csv(counts, "colon_rx_sex_extent.csv", row.names = FALSE, quote = FALSE)
