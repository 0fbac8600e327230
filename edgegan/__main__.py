from edgegan.cli import main

raise SystemExit(main())
