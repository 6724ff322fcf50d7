import sys

from apps.video_analysis.cli import main

sys.exit(main(sys.argv[1:]))
