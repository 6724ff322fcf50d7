import sys

from apps.image_recognition.cli import main

sys.exit(main())
