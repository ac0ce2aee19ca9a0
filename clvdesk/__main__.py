from clvdesk.cli import main

main()
