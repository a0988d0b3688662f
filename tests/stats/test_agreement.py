"""Agreement beyond kappa (Gwet's AC1/AC2, Krippendorff's alpha, PABAK) against published
worked examples and an independent implementation, on the bundled data and a fixture.

Published worked examples:

- Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C
  (nominal data, any number of observers, missing values): 4 observers, 12 units,
  values 1-5, alpha = 0.743 (nominal); the ordinal alpha of the same data is 0.815.
  Gwet (2014) uses the same 12 units as his example of 4 raters with missing ratings:
  AC1 = 0.7754, standard error 0.1429, 95% interval 0.4608 to 1, p_a = 0.8182,
  p_e = 0.1903 (as printed in the documentation of Gwet's irrCAC package).
- Feinstein and Cicchetti (1990): two 2x2 tables of 100 subjects with the same observed
  agreement, 85%, and kappa 0.70 (balanced answers) and 0.32 (one answer in 87.5% of
  ratings): the first paradox.

Independent implementation: Gwet's own irrCAC (PyPI ``irrCAC`` 0.4.4) and
``krippendorff`` 0.9.0, installed in a throwaway environment, never at test time::

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install irrCAC==0.4.4 krippendorff==0.9.0
    cd <repository root> && /tmp/refvenv/bin/python agreement_reference.py

with the script in :data:`REFERENCE_SCRIPT`; its output is :data:`REFERENCE_OUTPUT`,
verbatim: for each data set AC1/AC2 by weights (estimate, standard error, interval,
p_a, p_e), Brennan-Prediger (PABAK; estimate, standard error, interval), Gwet's
analytic standard error of alpha (used only as a plausibility check of our bootstrap),
and alpha nominal and ordinal from ``krippendorff``. The data sets: the two examples
above as irrCAC ships them (``raw_4raters`` is Krippendorff's; ``raw_5observers`` is
Gwet's 2014 example of 5 observers, 15 units and many missing scores), every question
and all questions of the bundled ``casp_ratings`` (reviewers R1 and R2) and of the
fixture ``tests/fixtures/packages/metasynthesis_only`` (reviewers AB, CD and EF).
Values agree to the printed 8 decimals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.stats import agreement as ag
from analysis.stats import quality

REFERENCE_SCRIPT = r"""
# Reference values from Gwet's irrCAC 0.4.4 and krippendorff 0.9.0 (a throwaway venv).
import numpy as np
import pandas as pd
import krippendorff
from irrCAC.datasets import raw_4raters, raw_5observers
from irrCAC.raw import CAC


def show(name, data, categories):
    # data: subjects x raters, answers in `categories` order (NaN missing)
    codes = data.apply(lambda col: col.map({c: i + 1 for i, c in enumerate(categories)}))
    reliability = codes.T.to_numpy(dtype=float)  # raters x units, as krippendorff takes
    out = [name]
    for weights in ("identity", "ordinal", "quadratic", "linear"):
        est = CAC(data, weights=weights, categories=categories, digits=10).gwet()["est"]
        low, high = est["confidence_interval"]
        out.append(f"ac_{weights} {est['coefficient_value']:.8f} {est['se']:.8f} "
                   f"{low:.8f} {high:.8f} pa {est['pa']:.8f} pe {est['pe']:.8f}")
    bp = CAC(data, categories=categories, digits=10).bp()["est"]
    low, high = bp["confidence_interval"]
    out.append(f"bp {bp['coefficient_value']:.8f} {bp['se']:.8f} {low:.8f} {high:.8f}")
    ka = CAC(data, categories=categories, digits=10).krippendorff()["est"]
    out.append(f"alpha_gwet_se {ka['coefficient_value']:.8f} {ka['se']:.8f}")
    for level in ("nominal", "ordinal"):
        a = krippendorff.alpha(reliability_data=reliability, level_of_measurement=level,
                               value_domain=list(range(1, len(categories) + 1)))
        out.append(f"alpha_{level} {a:.8f}")
    print("\n  ".join(out))


show("krippendorff2011 (irrCAC raw_4raters)", raw_4raters(), [1.0, 2.0, 3.0, 4.0, 5.0])
show("gwet2014 (irrCAC raw_5observers)", raw_5observers(), [0.0, 1.0, 2.0, 3.0])
answers = ["yes", "cant_tell", "no"]
for name, path, agreed in (("bundled", "data_synthetic", "consensus"),
                           ("fixture", "tests/fixtures/packages/metasynthesis_only", "agreed")):
    rated = pd.read_csv(f"{path}/casp_ratings.csv")
    rated = rated[rated["reviewer"] != agreed]
    wide = rated.pivot(index=["study_id", "item"], columns="reviewer", values="rating")
    for item in sorted(rated["item"].unique()):
        show(f"{name} Q{item}", wide.xs(item, level="item"), answers)
    show(f"{name} all items", wide, answers)
"""

REFERENCE_OUTPUT = """
krippendorff2011 (irrCAC raw_4raters)
  ac_identity 0.77544407 0.14294995 0.46081335 1.00000000 pa 0.81818182 pe 0.19032118
  ac_ordinal 0.89893977 0.10690352 0.66364670 1.00000000 pa 0.96818182 pe 0.68515625
  ac_quadratic 0.91400072 0.10396224 0.68518137 1.00000000 pa 0.97537879 pe 0.71370443
  ac_linear 0.85873914 0.11732902 0.60049970 1.00000000 pa 0.93939394 pe 0.57096354
  bp 0.77272727 0.14471662 0.45420814 1.00000000
  alpha_gwet_se 0.74342105 0.14557389
  alpha_nominal 0.74342105
  alpha_ordinal 0.81538750
gwet2014 (irrCAC raw_5observers)
  ac_identity 0.49662205 0.12197337 0.23501520 0.75822891 pa 0.61555556 pe 0.23627078
  ac_ordinal 0.78534179 0.06818757 0.63909400 0.93158959 pa 0.92481481 pe 0.64974465
  ac_quadratic 0.83043357 0.05824641 0.70550746 0.95535969 pa 0.94617284 pe 0.68256004
  ac_linear 0.68963942 0.08769076 0.50156145 0.87771740 pa 0.86074074 pe 0.55129849
  bp 0.48740741 0.12089159 0.22812074 0.74669407
  alpha_gwet_se 0.48053024 0.11350753
  alpha_nominal 0.48053024
  alpha_ordinal 0.76868516
bundled Q1
  ac_identity 0.64283271 0.11301302 0.41133603 0.87432938 pa 0.68965517 pe 0.13109394
  ac_ordinal 0.86250494 0.04914168 0.76184277 0.96316710 pa 0.89655172 pe 0.24762188
  ac_quadratic 0.89484287 0.03821844 0.81655593 0.97312980 pa 0.92241379 pe 0.26218787
  ac_linear 0.80144542 0.06870243 0.66071487 0.94217597 pa 0.84482759 pe 0.21848989
  bp 0.53448276 0.13114463 0.26584517 0.80312035
  alpha_gwet_se -0.16326531 0.06124816
  alpha_nominal -0.16326531
  alpha_ordinal -0.16326531
bundled Q2
  ac_identity 0.68690958 0.10673114 0.46828075 0.90553841 pa 0.72413793 pe 0.11890606
  ac_ordinal 0.88141080 0.04514514 0.78893518 0.97388643 pa 0.90804598 pe 0.22460034
  ac_quadratic 0.90951638 0.03496601 0.83789175 0.98114101 pa 0.93103448 pe 0.23781213
  ac_linear 0.82797825 0.06360578 0.69768772 0.95826878 pa 0.86206897 pe 0.19817677
  bp 0.58620690 0.12669775 0.32667833 0.84573546
  alpha_gwet_se -0.14000000 0.05682816
  alpha_nominal -0.14000000
  alpha_ordinal -0.14000000
bundled Q3
  ac_identity 0.87477510 0.07139379 0.72853155 1.00000000 pa 0.89655172 pe 0.17390012
  ac_ordinal 0.94864985 0.03050204 0.88616925 1.00000000 pa 0.96551724 pe 0.32847800
  ac_quadratic 0.96034640 0.02372583 0.91174623 1.00000000 pa 0.97413793 pe 0.34780024
  ac_linear 0.92716618 0.04271204 0.83967454 1.00000000 pa 0.94827586 pe 0.28983353
  bp 0.84482759 0.08632996 0.66798868 1.00000000
  alpha_gwet_se 0.70769231 0.16297388
  alpha_nominal 0.70769231
  alpha_ordinal 0.70769231
bundled Q4
  ac_identity 0.95328232 0.04678437 0.85744888 1.00000000 pa 0.96551724 pe 0.26189061
  ac_ordinal 0.97725342 0.02293600 0.93027114 1.00000000 pa 0.98850575 pe 0.49468226
  ac_quadratic 0.98189763 0.01828890 0.94443452 1.00000000 pa 0.99137931 pe 0.52378121
  ac_linear 0.96940390 0.03076303 0.90638869 1.00000000 pa 0.98275862 pe 0.43648434
  bp 0.94827586 0.05172414 0.84232377 1.00000000
  alpha_gwet_se 0.93530079 0.06621340
  alpha_nominal 0.93530079
  alpha_ordinal 0.94083727
bundled Q5
  ac_identity 0.75248933 0.09699145 0.55381135 0.95116732 pa 0.79310345 pe 0.16409037
  ac_ordinal 0.90005744 0.04249996 0.81300021 0.98711467 pa 0.93103448 pe 0.30994847
  ac_quadratic 0.92300885 0.03317439 0.85505418 0.99096352 pa 0.94827586 pe 0.32818074
  ac_linear 0.85761047 0.05910739 0.73653448 0.97868647 pa 0.89655172 pe 0.27348395
  bp 0.68965517 0.11482958 0.45443743 0.92487291
  alpha_gwet_se 0.38043478 0.21223165
  alpha_nominal 0.38043478
  alpha_ordinal 0.38043478
bundled Q6
  ac_identity 0.70903010 0.10971824 0.48428247 0.93377773 pa 0.79310345 pe 0.28894174
  ac_ordinal 0.84816754 0.06039276 0.72445859 0.97187649 pa 0.93103448 pe 0.54577883
  ac_quadratic 0.87746479 0.04940250 0.77626835 0.97866123 pa 0.94827586 pe 0.57788347
  ac_linear 0.80045872 0.07776215 0.64117018 0.95974725 pa 0.89655172 pe 0.48156956
  bp 0.68965517 0.11482958 0.45443743 0.92487291
  alpha_gwet_se 0.64814815 0.13021187
  alpha_nominal 0.64814815
  alpha_ordinal 0.76780978
bundled Q7
  ac_identity 0.74000747 0.10055622 0.53402738 0.94598756 pa 0.79310345 pe 0.20422117
  ac_ordinal 0.85029844 0.07242915 0.70193404 0.99866283 pa 0.90804598 pe 0.38575109
  ac_quadratic 0.86884422 0.06984574 0.72577170 1.00000000 pa 0.92241379 pe 0.40844233
  ac_linear 0.81703470 0.07900311 0.65520416 0.97886524 pa 0.87931034 pe 0.34036861
  bp 0.68965517 0.11482958 0.45443743 0.92487291
  alpha_gwet_se 0.50218341 0.17798703
  alpha_nominal 0.50218341
  alpha_ordinal 0.45935245
bundled Q8
  ac_identity 0.75248933 0.09699145 0.55381135 0.95116732 pa 0.79310345 pe 0.16409037
  ac_ordinal 0.90005744 0.04249996 0.81300021 0.98711467 pa 0.93103448 pe 0.30994847
  ac_quadratic 0.92300885 0.03317439 0.85505418 0.99096352 pa 0.94827586 pe 0.32818074
  ac_linear 0.85761047 0.05910739 0.73653448 0.97868647 pa 0.89655172 pe 0.27348395
  bp 0.68965517 0.11482958 0.45443743 0.92487291
  alpha_gwet_se 0.38043478 0.21223165
  alpha_nominal 0.38043478
  alpha_ordinal 0.38043478
bundled Q9
  ac_identity 0.64283271 0.11301302 0.41133603 0.87432938 pa 0.68965517 pe 0.13109394
  ac_ordinal 0.86250494 0.04914168 0.76184277 0.96316710 pa 0.89655172 pe 0.24762188
  ac_quadratic 0.89484287 0.03821844 0.81655593 0.97312980 pa 0.92241379 pe 0.26218787
  ac_linear 0.80144542 0.06870243 0.66071487 0.94217597 pa 0.84482759 pe 0.21848989
  bp 0.53448276 0.13114463 0.26584517 0.80312035
  alpha_gwet_se -0.16326531 0.06124816
  alpha_nominal -0.16326531
  alpha_ordinal -0.16326531
bundled Q10
  ac_identity 0.81284285 0.08349162 0.64181803 0.98386767 pa 0.82758621 pe 0.07877527
  ac_ordinal 0.93248225 0.03238077 0.86615324 0.99881125 pa 0.94252874 pe 0.14879773
  ac_quadratic 0.94883557 0.02477208 0.89809227 0.99957887 pa 0.95689655 pe 0.15755054
  ac_linear 0.90076423 0.04671144 0.80508017 0.99644829 pa 0.91379310 pe 0.13129211
  bp 0.74137931 0.10707914 0.52203764 0.96072098
  alpha_gwet_se -0.07547170 0.04274525
  alpha_nominal -0.07547170
  alpha_ordinal -0.07547170
bundled all items
  ac_identity 0.75109197 0.03060024 0.69086439 0.81131955 pa 0.79655172 pe 0.18263674
  ac_ordinal 0.89295747 0.01478182 0.86386380 0.92205114 pa 0.92988506 pe 0.34498051
  ac_quadratic 0.91579322 0.01216970 0.89184074 0.93974570 pa 0.94655172 pe 0.36527348
  ac_linear 0.85128311 0.01957859 0.81274841 0.88981781 pa 0.89655172 pe 0.30439457
  bp 0.69482759 0.03552028 0.62491635 0.76473882
  alpha_gwet_se 0.44398509 0.06107070
  alpha_nominal 0.44398509
  alpha_ordinal 0.46811989
fixture Q1
  ac_identity 0.75472757 0.05908251 0.63580064 0.87365450 pa 0.78014184 pe 0.10361652
  ac_ordinal 0.84421405 0.04668342 0.75024520 0.93818290 pa 0.87470449 pe 0.19572009
  ac_quadratic 0.85686187 0.04569893 0.76487470 0.94884905 pa 0.88652482 pe 0.20723304
  ac_linear 0.81997446 0.04925264 0.72083404 0.91911489 pa 0.85106383 pe 0.17269420
  bp 0.67021277 0.07177638 0.52573440 0.81469113
  alpha_gwet_se -0.05339806 0.03387425
  alpha_nominal -0.05339806
  alpha_ordinal -0.04803776
fixture Q2
  ac_identity 0.75306480 0.05981404 0.63266538 0.87346422 pa 0.78014184 pe 0.10965243
  ac_ordinal 0.81812094 0.05395376 0.70951765 0.92672424 pa 0.85579196 pe 0.20712126
  ac_quadratic 0.82739514 0.05379013 0.71912123 0.93566905 pa 0.86524823 pe 0.21930486
  ac_linear 0.80040211 0.05478584 0.69012393 0.91068029 pa 0.83687943 pe 0.18275405
  bp 0.67021277 0.07177638 0.52573440 0.81469113
  alpha_gwet_se 0.00458716 0.05802449
  alpha_nominal 0.00458716
  alpha_ordinal 0.01081828
fixture Q3
  ac_identity 0.82361972 0.05037990 0.72221024 0.92502919 pa 0.84397163 pe 0.11538655
  ac_ordinal 0.84885408 0.05039334 0.74741755 0.95029061 pa 0.88179669 pe 0.21795237
  ac_quadratic 0.85248153 0.05094825 0.74992801 0.95503504 pa 0.88652482 pe 0.23077310
  ac_linear 0.84194466 0.04971397 0.74187563 0.94201369 pa 0.87234043 pe 0.19231092
  bp 0.76595745 0.06242676 0.64029889 0.89161600
  alpha_gwet_se 0.32868352 0.16939245
  alpha_nominal 0.32868352
  alpha_ordinal 0.29065034
fixture Q4
  ac_identity 0.80895486 0.05488456 0.69847797 0.91943174 pa 0.84397163 pe 0.18329058
  ac_ordinal 0.81920141 0.06213642 0.69412728 0.94427554 pa 0.88179669 pe 0.34621554
  ac_quadratic 0.82085285 0.06402490 0.69197742 0.94972829 pa 0.88652482 pe 0.36658116
  ac_linear 0.81618907 0.05914546 0.69713544 0.93524271 pa 0.87234043 pe 0.30548430
  bp 0.76595745 0.06242676 0.64029889 0.89161600
  alpha_gwet_se 0.57738749 0.10749624
  alpha_nominal 0.57738749
  alpha_ordinal 0.53803291
fixture Q5
  ac_identity 0.64761592 0.06984039 0.50703451 0.78819732 pa 0.73049645 pe 0.23519944
  ac_ordinal 0.70222352 0.07687166 0.54748889 0.85695814 pa 0.83451537 pe 0.44426560
  ac_quadratic 0.71208092 0.07945356 0.55214919 0.87201265 pa 0.84751773 pe 0.47039887
  ac_linear 0.68505088 0.07323557 0.53763531 0.83246644 pa 0.80851064 pe 0.39199906
  bp 0.59574468 0.07235675 0.45009810 0.74139126
  alpha_gwet_se 0.43113772 0.09771602
  alpha_nominal 0.43113772
  alpha_ordinal 0.46834868
fixture Q6
  ac_identity 0.77810060 0.05710261 0.66315902 0.89304218 pa 0.81560284 pe 0.16900558
  ac_ordinal 0.81247691 0.05869475 0.69433050 0.93062332 pa 0.87234043 pe 0.31923277
  ac_quadratic 0.81787098 0.05977453 0.69755109 0.93819088 pa 0.87943262 pe 0.33801117
  ac_linear 0.80253484 0.05726594 0.68726448 0.91780519 pa 0.85815603 pe 0.28167597
  bp 0.72340426 0.06595297 0.59064781 0.85616070
  alpha_gwet_se 0.45833333 0.13029788
  alpha_nominal 0.45833333
  alpha_ordinal 0.45122415
fixture Q7
  ac_identity 0.74051647 0.06255917 0.61459139 0.86644156 pa 0.78014184 pe 0.15270862
  ac_ordinal 0.81062230 0.05670306 0.69648496 0.92475965 pa 0.86524823 pe 0.28844961
  ac_quadratic 0.82131219 0.05658376 0.70741498 0.93520939 pa 0.87588652 pe 0.30541723
  ac_linear 0.79070238 0.05753416 0.67489213 0.90651263 pa 0.84397163 pe 0.25451436
  bp 0.67021277 0.07177638 0.52573440 0.81469113
  alpha_gwet_se 0.28524374 0.12987267
  alpha_nominal 0.28524374
  alpha_ordinal 0.28747848
fixture Q8
  ac_identity 0.81073825 0.05786553 0.69426099 0.92721552 pa 0.84397163 pe 0.17559479
  ac_ordinal 0.83728320 0.05676323 0.72302474 0.95154167 pa 0.89125296 pe 0.33167905
  ac_quadratic 0.84149934 0.05728748 0.72618563 0.95681305 pa 0.89716312 pe 0.35118958
  ac_linear 0.82954869 0.05628851 0.71624580 0.94285157 pa 0.87943262 pe 0.29265798
  bp 0.76595745 0.06775620 0.62957129 0.90234361
  alpha_gwet_se 0.55886565 0.12560627
  alpha_nominal 0.55886565
  alpha_ordinal 0.50999301
fixture Q9
  ac_identity 0.75432248 0.06222485 0.62907034 0.87957461 pa 0.81560284 pe 0.24943413
  ac_ordinal 0.81225033 0.06145356 0.68855072 0.93594994 pa 0.90070922 pe 0.47115336
  ac_quadratic 0.82309545 0.06280224 0.69668110 0.94950981 pa 0.91134752 pe 0.49886827
  ac_linear 0.79364669 0.06019325 0.67248396 0.91480943 pa 0.87943262 pe 0.41572356
  bp 0.72340426 0.06595297 0.59064781 0.85616070
  alpha_gwet_se 0.63299052 0.08502536
  alpha_nominal 0.63299052
  alpha_ordinal 0.66060327
fixture Q10
  ac_identity 0.82706138 0.04963580 0.72714969 0.92697307 pa 0.84397163 pe 0.09778180
  ac_ordinal 0.86661731 0.04549997 0.77503061 0.95820401 pa 0.89125296 pe 0.18469896
  ac_quadratic 0.87216282 0.04554331 0.78048890 0.96383674 pa 0.89716312 pe 0.19556360
  ac_linear 0.85595818 0.04587689 0.76361278 0.94830357 pa 0.87943262 pe 0.16296967
  bp 0.76595745 0.06242676 0.64029889 0.89161600
  alpha_gwet_se 0.20781893 0.16564674
  alpha_nominal 0.20781893
  alpha_ordinal 0.16004012
fixture all items
  ac_identity 0.77005165 0.01850239 0.73369381 0.80640950 pa 0.80780142 pe 0.16416629
  ac_ordinal 0.81873079 0.01792429 0.78350892 0.85395265 pa 0.87494090 pe 0.31009188
  ac_quadratic 0.82630292 0.01809333 0.79074889 0.86185696 pa 0.88333333 pe 0.32833258
  ac_linear 0.80472740 0.01779698 0.76975570 0.83969910 pa 0.85815603 pe 0.27361048
  bp 0.71170213 0.02131903 0.66980949 0.75359476
  alpha_gwet_se 0.41503743 0.04099920
  alpha_nominal 0.41503743
  alpha_ordinal 0.40820462
"""

METASYNTHESIS_ONLY = paths.ROOT / "tests" / "fixtures" / "packages" / "metasynthesis_only"


def reference() -> dict[str, dict[str, list[float]]]:
    """:data:`REFERENCE_OUTPUT` read back: data set -> line name -> its numbers."""
    results: dict[str, dict[str, list[float]]] = {}
    name = ""
    for line in REFERENCE_OUTPUT.strip("\n").splitlines():
        if not line.startswith(" "):
            name = line.strip()
            results[name] = {}
            continue
        key, *rest = line.split()
        numbers = [float(t) for t in rest if t not in ("pa", "pe")]
        results[name][key] = numbers
    return results


REF = reference()

# The two published examples, as irrCAC ships them (subjects in rows, raters in columns).
KRIPPENDORFF_2011 = pd.DataFrame({
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]})
GWET_2014_5_OBSERVERS = pd.DataFrame({
    "O1": [1, 1, 2, None, 0, 0, 1, 1, 2, 2, None, 0, 1, 3, 1],
    "O2": [1, 1, 3, 0, 0, 0, 0, None, 2, 1, 1, 0, 2, 3, 1],
    "O3": [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
    "O4": [None, 1, 3, None, None, None, None, 0, None, 1, 0, 0, 2, 2, None],
    "O5": [2, None, None, 0, 0, 0, 1, None, 2, None, None, None, None, 3, 1]})
ANSWERS = ["yes", "cant_tell", "no"]


def _counts(frame: pd.DataFrame, categories) -> np.ndarray:
    return ag.answer_counts(frame.astype(object).where(frame.notna(), None), categories)


def _appraisal(source: str) -> tuple[pd.DataFrame, str]:
    path, agreed = ((paths.DATA_SYNTHETIC, "consensus") if source == "bundled"
                    else (METASYNTHESIS_ONLY, "agreed"))
    rated = pd.read_csv(path / "casp_ratings.csv")
    return rated, agreed


def _data_set(name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Counts (and papers, for all questions) of a data set of :data:`REFERENCE_OUTPUT`."""
    if name.startswith("krippendorff2011"):
        return _counts(KRIPPENDORFF_2011, [1.0, 2.0, 3.0, 4.0, 5.0]), None
    if name.startswith("gwet2014"):
        return _counts(GWET_2014_5_OBSERVERS, [0.0, 1.0, 2.0, 3.0]), None
    source, which = name.split(" ", 1)
    rated, agreed = _appraisal(source)
    rated = rated[rated["reviewer"] != agreed]
    wide = rated.pivot(index=["study_id", "item"], columns="reviewer", values="rating")
    if which == "all items":
        return _counts(wide, ANSWERS), wide.index.get_level_values("study_id").to_numpy()
    return _counts(wide.xs(int(which[1:]), level="item"), ANSWERS), None


# ------------------------------------------------------------ published examples


def test_krippendorff_2011_worked_example():
    counts = _counts(KRIPPENDORFF_2011, [1.0, 2.0, 3.0, 4.0, 5.0])
    nominal = ag.krippendorff_alpha(counts, "nominal", n_boot=0)
    ordinal = ag.krippendorff_alpha(counts, "ordinal", n_boot=0)
    assert round(nominal.estimate, 3) == 0.743
    assert round(ordinal.estimate, 3) == 0.815
    # 11 pairable units (unit 12 has a single value) with 40 values between them.
    assert nominal.n_subjects == 11 and nominal.n_ratings == 40 and nominal.n_raters == 4


def test_gwet_2014_four_raters_with_missing_ratings():
    counts = _counts(KRIPPENDORFF_2011, [1.0, 2.0, 3.0, 4.0, 5.0])
    ac1 = ag.gwet_ac(counts)
    assert ac1.method == "gwet_ac1" and ac1.interval == "t" and ac1.df == 11
    assert round(ac1.estimate, 4) == 0.7754 and round(ac1.se, 4) == 0.1429
    assert (round(ac1.lower, 4), ac1.upper) == (0.4608, 1.0)  # upper limit capped at 1
    assert round(ac1.observed, 4) == 0.8182 and round(ac1.chance, 4) == 0.1903
    assert ac1.n_subjects == 12 and ac1.n_pairable == 11


def _two_raters(a: int, b: int, c: int, d: int) -> np.ndarray:
    """Counts of a 2x2 table: a both yes, b first yes and second no, c the reverse,
    d both no."""
    return np.array([[2, 0]] * a + [[1, 1]] * (b + c) + [[0, 2]] * d, dtype=float)


def test_feinstein_cicchetti_first_paradox():
    balanced, unbalanced = (40, 9, 6, 45), (80, 10, 5, 5)
    kappas = [quality.cohen_kappa([[a, b], [c, d]]).kappa for a, b, c, d in (balanced,
                                                                             unbalanced)]
    assert [round(k, 2) for k in kappas] == [0.70, 0.32]
    first = ag.kappa_paradox(_two_raters(*balanced), kappas[0])
    second = ag.kappa_paradox(_two_raters(*unbalanced), kappas[1])
    for result in (first, second):
        assert result.observed_agreement == pytest.approx(0.85)
        assert result.pabak == pytest.approx(0.70)  # 2 p_o - 1 (Byrt et al. 1993)
    assert not first.paradox and not first.low_kappa and not first.unbalanced
    assert second.paradox and second.low_kappa and second.adjusted_not_low
    assert second.dominant_share == pytest.approx(0.875) and second.dominant_answer == 0
    assert second.prevalence_index == pytest.approx(0.75)  # |a - d| / n = 75/100
    assert second.kappa_gap == pytest.approx(0.70 - kappas[1])
    assert second.ac1 > 0.75  # AC1 follows the agreement, not the prevalence


def test_pabak_and_ac1_of_two_raters_by_hand():
    counts = _two_raters(80, 10, 5, 5)
    p_o, pi = 0.85, (2 * 80 + 15) / 200  # share of "yes" over both raters
    ac1 = ag.gwet_ac(counts)
    p_e = 2 * pi * (1 - pi)  # T_w/(q(q-1)) Σ_k π_k(1-π_k) with q = 2, T_w = 2
    assert ac1.chance == pytest.approx(p_e)
    assert ac1.estimate == pytest.approx((p_o - p_e) / (1 - p_e))
    pb = ag.pabak(counts)
    assert pb.estimate == pytest.approx(2 * p_o - 1)
    # For two raters without missing answers the variance is (q/(q-1))² p(1-p)/(n-1).
    assert pb.se == pytest.approx(2 * math.sqrt(p_o * (1 - p_o) / 99))


# -------------------------------------------------------- the independent implementation

CASES = list(REF)


def test_every_data_set_of_the_script_is_read():
    assert len(CASES) == 2 + 2 * 11
    assert all(len(REF[name]) == 8 for name in CASES)


@pytest.mark.parametrize("name", CASES)
def test_gwet_and_pabak_match_irrcac(name):
    counts, _ = _data_set(name)
    ref = REF[name]
    for weights in ag.WEIGHTS:
        res = ag.gwet_ac(counts, weights)
        estimate, se, low, high, p_a, p_e = ref[f"ac_{weights}"]
        assert res.method == ("gwet_ac1" if weights == "identity" else "gwet_ac2")
        assert (res.estimate, res.se, res.lower, res.upper) == pytest.approx(
            (estimate, se, low, high), abs=2e-8)
        assert (res.observed, res.chance) == pytest.approx((p_a, p_e), abs=2e-8)
    res = ag.pabak(counts)
    assert (res.estimate, res.se, res.lower, res.upper) == pytest.approx(ref["bp"], abs=2e-8)


@pytest.mark.parametrize("name", CASES)
def test_alpha_matches_krippendorff(name):
    counts, _ = _data_set(name)
    ref = REF[name]
    for metric in ag.METRICS:
        res = ag.krippendorff_alpha(counts, metric, n_boot=0)
        assert res.estimate == pytest.approx(ref[f"alpha_{metric}"][0], abs=2e-8)
        assert res.interval == "bootstrap" and math.isnan(res.lower)  # none drawn
    assert ref["alpha_gwet_se"][0] == pytest.approx(ref["alpha_nominal"][0], abs=2e-8)


@pytest.mark.parametrize("name", ["krippendorff2011 (irrCAC raw_4raters)",
                                  "gwet2014 (irrCAC raw_5observers)",
                                  "bundled all items", "fixture all items"])
def test_alpha_bootstrap_is_near_gwets_analytic_error(name):
    """No analytic variance of alpha is standard; Gwet's (2014) linearisation is one,
    and the subjects bootstrap should not be far from it."""
    counts, _ = _data_set(name)
    res = ag.krippendorff_alpha(counts, "nominal", n_boot=2000, seed=11)
    assert res.n_bootstrap == 2000 and res.seed == 11
    assert res.se == pytest.approx(REF[name]["alpha_gwet_se"][1], rel=0.35)
    assert res.lower < res.estimate < res.upper


# ---------------------------------------------------------------- the appraisal


@pytest.mark.parametrize("source", ["bundled", "fixture"])
def test_appraisal_table_matches_the_references(source):
    rated, agreed = _appraisal(source)
    tool = quality.load_tool()
    result = ag.appraisal_agreement(rated, tool, agreed_label=agreed, n_boot=200)
    table = result.table.set_index(["item", "method", "weights"])
    assert result.applicable and result.seed == ag.SEED and result.n_bootstrap == 200
    assert result.reviewers == (("R1", "R2") if source == "bundled" else ("AB", "CD", "EF"))
    items = [f"Q{i}" for i in range(1, 11)] + ["All items"]
    assert list(dict.fromkeys(result.table["item"])) == items
    assert list(result.table["method"].unique()) == list(ag.METHODS)
    for item in items:
        ref = REF[f"{source} {item.lower() if item == 'All items' else item}"]
        ac1 = table.loc[(item, "gwet_ac1", "identity")]
        assert ac1["estimate"] == pytest.approx(ref["ac_identity"][0], abs=2e-8)
        ac2 = table.loc[(item, "gwet_ac2", "ordinal")]
        assert ac2["estimate"] == pytest.approx(ref["ac_ordinal"][0], abs=2e-8)
        assert table.loc[(item, "pabak", "identity"), "estimate"] == pytest.approx(
            ref["bp"][0], abs=2e-8)
        for metric in ag.METRICS:
            assert table.loc[(item, "krippendorff_alpha", metric), "estimate"] == (
                pytest.approx(ref[f"alpha_{metric}"][0], abs=2e-8))
        if item != "All items":  # per question the papers are the subjects
            assert ac1["se"] == pytest.approx(ref["ac_identity"][1], abs=2e-8)
            assert ac1["n_subjects"] == (29 if source == "bundled" else 47)
    overall = table.xs("All items", level="item")
    # Over all questions the papers are clusters: t on papers - 1, bootstrap of papers.
    n_papers = 29 if source == "bundled" else 47
    assert (overall["n_clusters"] == n_papers).loc[["gwet_ac1", "gwet_ac2", "pabak",
                                                    "krippendorff_alpha"]].all()
    assert overall.loc[("gwet_ac1", "identity"), "df"] == n_papers - 1


def test_the_kappa_row_is_the_agreement_tables(package):
    tool = quality.load_tool()
    result = ag.appraisal_agreement(quality.ratings(package, tool), tool, n_boot=0)
    kappa = result.table[result.table["method"] == "kappa"].set_index("item")
    published = quality.agreement(package, tool).table
    assert kappa["estimate"].to_numpy() == pytest.approx(published["kappa"].to_numpy())
    assert kappa["lower"].to_numpy() == pytest.approx(published["ci_low"].to_numpy(),
                                                      nan_ok=True)
    # Q9: one reviewer answered "Yes" throughout, kappa is 0 by construction, no interval.
    expected = np.where(kappa["lower"].notna(), "asymptotic", "none")
    assert (kappa["interval"] == expected).all() and (expected == "none").sum() == 1
    pairwise = result.table[result.table["method"] == "pairwise_agreement"].set_index("item")
    assert (100 * pairwise["estimate"]).to_numpy() == pytest.approx(
        published["percent_agreement"].to_numpy())


def test_three_reviewers_get_fleiss_kappa_without_interval(metasynthesis):
    tool = quality.load_tool()
    rated = quality.ratings(metasynthesis, tool)
    result = ag.appraisal_agreement(rated, tool, agreed_label="agreed", n_boot=0)
    kappa = result.table[result.table["method"] == "kappa"]
    assert (kappa["interval"] == "none").all() and kappa["lower"].isna().all()
    assert (kappa["n_raters"] == 3).all()


def test_the_paradox_is_flagged_per_question(package):
    tool = quality.load_tool()
    result = ag.appraisal_agreement(quality.ratings(package, tool), tool, n_boot=0)
    flags = result.paradox
    assert list(flags.index) == [f"Q{i}" for i in range(1, 11)] + ["All items"]
    kappa = result.table[result.table["method"] == "kappa"].set_index("item")["estimate"]
    assert flags["kappa"].to_numpy() == pytest.approx(kappa.to_numpy())
    expected = ((flags["kappa"] < 0.40) & (flags["pabak"] >= 0.40)
                & (flags["dominant_share"] >= 0.75))
    assert (flags["paradox"] == expected).all()
    assert flags["paradox"].any() and not flags["paradox"].all()  # both cases occur
    # Where it is flagged, AC1 is far above kappa: the reviewers did agree.
    assert (flags.loc[flags["paradox"], "ac1"] - flags.loc[flags["paradox"], "kappa"]
            > 0.3).all()


def test_missing_ratings_are_used_where_the_method_allows(package):
    tool = quality.load_tool()
    rated = quality.ratings(package, tool)
    # R2 did not rate paper S01: kappa drops it, AC1 and alpha keep R1's answers.
    dropped = rated[~((rated["reviewer"] == "R2") & (rated["study_id"] == "S01"))]
    result = ag.appraisal_agreement(dropped, tool, n_boot=0).table.set_index(
        ["item", "method", "weights"])
    q1 = result.xs("Q1", level="item")
    assert q1.loc[("kappa", "identity"), "n_subjects"] == 28
    assert q1.loc[("gwet_ac1", "identity"), "n_subjects"] == 29
    assert q1.loc[("gwet_ac1", "identity"), "n_pairable"] == 28
    assert q1.loc[("krippendorff_alpha", "nominal"), "n_subjects"] == 28  # pairable only


def test_a_single_reviewer_has_no_agreement(package):
    tool = quality.load_tool()
    rated = quality.ratings(package, tool)
    result = ag.appraisal_agreement(rated[rated["reviewer"] != "R2"], tool)
    assert not result.applicable and result.table.empty and result.paradox.empty
    assert result.reviewers == ("R1",)


# --------------------------------------------------------------- edge cases, seeds


def test_one_answer_throughout():
    counts = np.array([[2.0, 0, 0]] * 10)
    alpha = ag.krippendorff_alpha(counts)
    assert not alpha.defined and math.isnan(alpha.estimate)  # no expected disagreement
    ac1 = ag.gwet_ac(counts)
    assert ac1.defined and ac1.estimate == 1.0 and ac1.chance == 0.0
    flags = ag.kappa_paradox(counts, math.nan)  # kappa 0/0 is not "low"
    assert not flags.paradox and not flags.low_kappa and flags.dominant_share == 1.0


def test_nothing_pairable_is_undefined():
    counts = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 0]])
    for res in (ag.gwet_ac(counts), ag.pabak(counts), ag.krippendorff_alpha(counts)):
        assert not res.defined and math.isnan(res.estimate)
        assert res.n_pairable == 0


def test_the_bootstrap_is_seeded_and_recorded():
    counts, papers = _data_set("bundled all items")
    first = ag.krippendorff_alpha(counts, n_boot=300, seed=7, clusters=papers)
    again = ag.krippendorff_alpha(counts, n_boot=300, seed=7, clusters=papers)
    other = ag.krippendorff_alpha(counts, n_boot=300, seed=8, clusters=papers)
    assert (first.lower, first.upper) == (again.lower, again.upper)
    assert (first.lower, first.upper) != (other.lower, other.upper)
    assert first.seed == 7 and first.n_bootstrap == 300 and first.n_clusters == 29


def test_singleton_clusters_are_no_clusters():
    counts, _ = _data_set("gwet2014 (irrCAC raw_5observers)")
    each = np.arange(len(counts))
    for f in (ag.gwet_ac, ag.pabak):
        plain, clustered = f(counts), f(counts, clusters=each)
        assert (clustered.se, clustered.lower) == pytest.approx((plain.se, plain.lower))
    plain = ag.krippendorff_alpha(counts, n_boot=200, seed=3)
    clustered = ag.krippendorff_alpha(counts, n_boot=200, seed=3, clusters=each)
    assert (clustered.lower, clustered.upper) == pytest.approx((plain.lower, plain.upper))


@pytest.mark.parametrize(("kind", "expected"), [
    ("identity", np.eye(3)),
    ("linear", [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]]),
    ("quadratic", [[1, 0.75, 0], [0.75, 1, 0.75], [0, 0.75, 1]]),
    ("ordinal", [[1, 2 / 3, 0], [2 / 3, 1, 2 / 3], [0, 2 / 3, 1]]),
])
def test_weights_of_three_ordered_answers(kind, expected):
    assert ag.agreement_weights(3, kind) == pytest.approx(np.asarray(expected, dtype=float))


def test_bad_input_is_refused_with_what_to_fix():
    with pytest.raises(ValueError, match="unknown weights 'cubic'"):
        ag.agreement_weights(3, "cubic")
    with pytest.raises(ValueError, match="unknown metric 'interval'"):
        ag.krippendorff_alpha(np.ones((2, 3)), "interval")
    with pytest.raises(ValueError, match=r"answers \['maybe'\] are not among"):
        ag.answer_counts(pd.DataFrame({"R1": ["yes", "maybe"]}), ANSWERS)
