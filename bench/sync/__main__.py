from bench.sync.run import main

print(main())
