# The shipped model's loss curve, from the CSV that `llmsim train` writes:
#   gnuplot -e "csv='build/tinygpt/loss.csv'; png='web/models/tinygpt/loss.png'; bigram=4.0" scripts/plot_loss.gnuplot
#   (the English model: csv='build/english/log/loss.csv'; png='web/models/english/loss.png'; plot_title='english: ...')
# bigram (optional): the bigram baseline's validation loss, drawn as a line.
if (!exists("csv")) csv = 'build/tinygpt/loss.csv'
if (!exists("png")) png = 'web/models/tinygpt/loss.png'
set terminal pngcairo size 800,450 font ",11" noenhanced
set output png
set datafile separator ","
set key top right
set xlabel "step"
set ylabel "cross-entropy (nats per token)"
set grid
set yrange [0:*]
if (!exists("plot_title")) plot_title = "tinygpt: training and validation loss"
set title plot_title
if (exists("bigram")) {
  plot csv every ::1 using 1:2 with lines lc rgb "#99aabb" title "training (batch)", \
       csv every ::1 using 1:($3 == 0 ? NaN : $3) with linespoints lw 2 pt 7 lc rgb "#cc3333" title "validation", \
       bigram with lines dt 2 lw 2 lc rgb "#333333" title sprintf("bigram baseline (validation) %.2f", bigram)
} else {
  plot csv every ::1 using 1:2 with lines lc rgb "#99aabb" title "training (batch)", \
       csv every ::1 using 1:($3 == 0 ? NaN : $3) with linespoints lw 2 pt 7 lc rgb "#cc3333" title "validation"
}
